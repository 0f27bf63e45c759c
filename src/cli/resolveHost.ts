import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { BROWSERS, type Family } from '../node/install/browsers.js'
import { UsageError } from '../node/install/errors.js'
import { searchPlaces } from '../node/install/locations.js'
import { currentInstallEnv, type InstallEnv } from '../node/install/platform.js'

/** How `nmrpc call` will start a host. */
export interface HostTarget {
  command: string
  args: string[]
  browser: 'chromium' | 'firefox'
  /** The manifest the host came from, if any (Firefox passes its path in argv). */
  manifestPath?: string
  /** First allowed origin / add-on id in the manifest: the caller to imitate by default. */
  caller?: string
  label: string
}

const HOST_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/
const JS_FILE = /\.(m?js|cjs)$/

/** Splits a command line on spaces, honouring '...' and "..." quotes. */
export function splitCommand(line: string): string[] {
  const out: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]!)
  return out
}

/**
 * Turns the `<host>` argument of `nmrpc call` into a command: a manifest file, a registered host name (its
 * manifest found in the browsers' places, first browser in table order that has one; with `family`, only
 * browsers of that family, so `--browser firefox` gets Firefox's manifest and caller), a script file run with
 * this node, or a command line. A name or file that is not there is a failure (exit status 1), not a usage
 * mistake.
 *
 * @example
 * resolveHost('com.acme.app') // { command: '/home/a/.local/share/nmrpc/com.acme.app/launcher.sh', ... }
 * resolveHost('com.acme.app', currentInstallEnv(), 'firefox').manifestPath // '/home/a/.mozilla/native-messaging-hosts/com.acme.app.json'
 */
export function resolveHost(
  target: string,
  ienv: InstallEnv = currentInstallEnv(),
  family?: Family,
): HostTarget {
  if (target.endsWith('.json') && existsSync(target)) return fromManifest(path.resolve(target))
  if (HOST_NAME.test(target) && !existsSync(target)) {
    const looked: string[] = []
    const other: string[] = []
    for (const b of BROWSERS) {
      for (const place of searchPlaces(b, ienv)) {
        if (place.kind !== 'dir') continue
        const file = path.join(place.dir, `${target}.json`)
        if (looked.includes(file) || other.includes(file)) continue
        if (family !== undefined && b.family !== family) {
          if (existsSync(file)) other.push(file)
          continue
        }
        looked.push(file)
        if (existsSync(file)) return fromManifest(file)
      }
    }
    const which =
      family === undefined
        ? 'any browser'
        : `any ${family === 'chromium' ? 'Chromium' : 'Firefox'}-family browser`
    const elsewhere =
      other.length > 0 ? ` There is one for the other browser family: ${other.join(', ')}.` : ''
    throw new Error(
      `No manifest for host "${target}" in ${which}'s folders (looked in ${looked.length} places).${elsewhere} ` +
        'Register it with nmrpc install, or pass a manifest path or the host command instead.',
    )
  }
  const words = splitCommand(target)
  if (words.length === 0) throw new UsageError('The <host> argument is empty. See: nmrpc call --help')
  const [first, ...rest] = words as [string, ...string[]]
  if (JS_FILE.test(first)) {
    if (!existsSync(first)) throw new Error(`Host file ${first} does not exist; check the path.`)
    return {
      command: process.execPath,
      args: [path.resolve(first), ...rest],
      browser: 'chromium',
      label: first,
    }
  }
  return { command: first, args: rest, browser: 'chromium', label: first }
}

function fromManifest(file: string): HostTarget {
  let m: { name?: unknown; path?: unknown; allowed_origins?: unknown; allowed_extensions?: unknown }
  try {
    m = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`Manifest ${file} is not valid JSON (${(e as Error).message}). Run: nmrpc doctor`)
  }
  if (typeof m.path !== 'string') throw new Error(`Manifest ${file} has no "path". Run: nmrpc doctor`)
  const command = path.isAbsolute(m.path) ? m.path : path.resolve(path.dirname(file), m.path)
  if (!existsSync(command) || !statSync(command).isFile()) {
    throw new Error(`Manifest ${file} points at ${command}, which does not exist. Run: nmrpc doctor`)
  }
  const firefox = Array.isArray(m.allowed_extensions) && !Array.isArray(m.allowed_origins)
  const list = firefox ? m.allowed_extensions : m.allowed_origins
  const caller = Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined
  const t: HostTarget = {
    command,
    args: [],
    browser: firefox ? 'firefox' : 'chromium',
    manifestPath: file,
    // Name the host as the extension would: by its registered name.
    label: typeof m.name === 'string' ? m.name : path.basename(file, '.json'),
  }
  if (caller) t.caller = caller
  return t
}
