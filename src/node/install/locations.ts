import { existsSync } from 'node:fs'
import { BROWSERS, type BrowserSpec, type PlatformEntry } from './browsers.js'
import { expandPath, type InstallEnv, pathFor, type Scope } from './platform.js'

/** A place from the table with its path made concrete for one machine. */
export type ResolvedPlace =
  | { kind: 'dir'; scope: Scope; dir: string }
  | { kind: 'registry'; scope: Scope; hive: 'HKCU' | 'HKLM'; key: string; view: '32' | '64' }

/** The table row of `browser` for the machine's OS, or `undefined` where the browser has no place there. */
export function entryFor(browser: BrowserSpec, ienv: InstallEnv): PlatformEntry | undefined {
  return browser[ienv.platform]
}

/**
 * Every place `browser` reads a manifest from on this machine, in the browser's own search order.
 *
 * @example
 * searchPlaces(findBrowser('chromium')!, { platform: 'linux', home: '/home/a', env: {} })
 * // [{ kind: 'dir', scope: 'user', dir: '/home/a/.config/chromium/NativeMessagingHosts' },
 * //  { kind: 'dir', scope: 'system', dir: '/etc/chromium/native-messaging-hosts' }]
 */
export function searchPlaces(browser: BrowserSpec, ienv: InstallEnv): ResolvedPlace[] {
  const entry = entryFor(browser, ienv)
  if (!entry) return []
  return entry.places.map((p) => (p.kind === 'dir' ? { ...p, dir: expandPath(p.dir, ienv) } : { ...p }))
}

/** The place install writes for `scope`: the first of that scope in the browser's search order. */
export function installPlace(
  browser: BrowserSpec,
  ienv: InstallEnv,
  scope: Scope,
): ResolvedPlace | undefined {
  return searchPlaces(browser, ienv).find((p) => p.scope === scope)
}

/** `<user-data-dir>/NativeMessagingHosts`: where a Chromium started with `--user-data-dir DIR` looks ([cr-posix]). */
export function userDataDirPlace(userDataDir: string, ienv: InstallEnv): ResolvedPlace {
  return { kind: 'dir', scope: 'user', dir: pathFor(ienv.platform).join(userDataDir, 'NativeMessagingHosts') }
}

/** The registry key path (without hive) of host `name` under `place`. */
export function registryKey(place: { key: string }, name: string): string {
  return `${place.key}\\${name}`
}

/**
 * Whether `browser` looks installed: one of its `detect` paths exists (its profile folder, its app bundle,
 * or its binary on `$PATH`). A browser that was installed but never started has no profile yet; its
 * binary still counts.
 *
 * @example
 * isInstalled(findBrowser('chromium')!, { platform: 'linux', home, env: { PATH: '/usr/bin' } })
 */
export function isInstalled(browser: BrowserSpec, ienv: InstallEnv): boolean {
  const entry = entryFor(browser, ienv)
  if (!entry) return false
  const exists = ienv.exists ?? existsSync
  const p = pathFor(ienv.platform)
  const pathDirs = (ienv.env.PATH ?? ienv.env.Path ?? '')
    .split(ienv.platform === 'win32' ? ';' : ':')
    .filter((d) => d)
  return entry.detect.some((d) => {
    if (d.startsWith('bin:')) return pathDirs.some((dirName) => exists(p.join(dirName, d.slice(4))))
    return exists(expandPath(d, ienv))
  })
}

/**
 * The browsers installed on this machine, in table order.
 *
 * @example
 * detectBrowsers(currentInstallEnv()).map((b) => b.id) // ['chromium', 'firefox']
 */
export function detectBrowsers(ienv: InstallEnv): BrowserSpec[] {
  return BROWSERS.filter((b) => isInstalled(b, ienv))
}
