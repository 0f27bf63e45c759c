import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe } from 'vitest'

export type BrowserKind = 'chromium' | 'firefox'

/** Where a browser was found, or why not. */
export type BrowserLookup =
  | { readonly found: true; readonly path: string; readonly how: string }
  | { readonly found: false; readonly why: string }

// Names on PATH and fixed install places, in order of preference. Firefox: only builds that honour
// `xpinstall.signatures.required=false` (ESR, Developer Edition, Nightly) can sideload the unsigned test
// extension, so a release `firefox` is not picked up by itself; point FIREFOX_PATH at one to try it.
const candidates: Record<BrowserKind, { env: string; names: string[]; places: string[] }> = {
  chromium: {
    env: 'CHROMIUM_PATH',
    names: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'],
    places: [
      '/usr/bin/chromium',
      '/usr/lib/chromium/chromium',
      '/usr/bin/chromium-browser',
      '/snap/bin/chromium',
      '/opt/google/chrome/chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    ],
  },
  firefox: {
    env: 'FIREFOX_PATH',
    names: ['firefox-esr', 'firefox-developer-edition', 'firefox-nightly'],
    places: [
      '/usr/bin/firefox-esr',
      '/usr/lib/firefox-esr/firefox-esr',
      '/opt/firefox-esr/firefox',
      '/Applications/Firefox Developer Edition.app/Contents/MacOS/firefox',
      '/Applications/Firefox Nightly.app/Contents/MacOS/firefox',
    ],
  },
}

const isExecutableFile = (path: string): boolean => {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Finds a browser the way a user has it: the `CHROMIUM_PATH` / `FIREFOX_PATH` variable first (an unusable
 * value is reported, not passed over), then the usual names on `PATH`, then the usual install places.
 * e2e tests of a browser that is not found are skipped, and counted as skipped in `npm test`'s summary.
 *
 * @example
 * const c = findBrowser('chromium')
 * if (c.found) console.log(`chromium at ${c.path} (${c.how})`)
 */
export function findBrowser(kind: BrowserKind, env: NodeJS.ProcessEnv = process.env): BrowserLookup {
  const c = candidates[kind]
  const fromEnv = env[c.env]
  if (fromEnv) {
    return isExecutableFile(fromEnv)
      ? { found: true, path: fromEnv, how: `from ${c.env}` }
      : { found: false, why: `${c.env}=${fromEnv} is not an executable file; fix or unset it` }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const name of c.names) {
      const path = join(dir, name)
      if (isExecutableFile(path)) return { found: true, path, how: 'on PATH' }
    }
  }
  for (const path of c.places) if (isExecutableFile(path)) return { found: true, path, how: 'installed' }
  return {
    found: false,
    why: `no ${c.names.join(', ')} on PATH nor in ${c.places.join(', ')}; install one or set ${c.env}`,
  }
}

const cache = new Map<BrowserKind, BrowserLookup>()

/** {@link findBrowser} for this process's environment, looked up once. */
export function browserLookup(kind: BrowserKind): BrowserLookup {
  let hit = cache.get(kind)
  if (!hit) {
    hit = findBrowser(kind)
    cache.set(kind, hit)
  }
  return hit
}

/** The browser's executable path; throws with the reason when there is none. */
export function browserPath(kind: BrowserKind): string {
  const hit = browserLookup(kind)
  if (!hit.found)
    throw new Error(`${kind} for e2e tests: ${hit.why} (.ci/run installs chromium and firefox-esr)`)
  return hit.path
}

/** True when e2e tests of `kind` can run here; use as `describe.skipIf(!haveBrowser(name))`. */
export const haveBrowser = (kind: BrowserKind): boolean => browserLookup(kind).found

/**
 * `describe.each(['chromium', 'firefox'])` whose suites are skipped (and so counted as skipped, never
 * silently absent) for a browser that is not found here. `%s` in the title is the browser's name.
 *
 * @example
 * describeEachBrowser('raw native messaging in %s', (name) => { it('pings', async () => {}) })
 */
export function describeEachBrowser(title: string, suite: (name: BrowserKind) => void): void {
  for (const name of ['chromium', 'firefox'] as const) {
    describe.skipIf(!haveBrowser(name))(title.replace('%s', name), () => suite(name))
  }
}
