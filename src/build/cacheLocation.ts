// Where nmrpc keeps a built host's V8 code cache. No imports of its own: the start of a built bundle
// (bundleStart.ts) passes Node's path module in, loaded without an ES import (see there), and the
// terminal commands (codeCache.ts) pass theirs.

/**
 * The asset of a single executable that holds the code cache of its host's script made when it was built
 * (Node's SEA `assets`, Node >= 20.12; see bundleStart.ts).
 */
export const SEA_CODE_CACHE_ASSET = 'nmrpc-code-cache'

/** The parts of `node:path` the cache location needs. */
export interface CachePath {
  join(...parts: string[]): string
  isAbsolute(p: string): boolean
}

/**
 * The folder of nmrpc's code caches for this user: `$XDG_CACHE_HOME/nmrpc/code-cache` (else
 * `~/.cache/...`) on Linux, `~/Library/Caches/nmrpc/code-cache` on macOS, `%LOCALAPPDATA%\nmrpc\code-cache`
 * on Windows. Undefined with no home folder, or when `NMRPC_CODE_CACHE=0` turns the cache off. `homedir`
 * is called only when the environment has no home folder (HOME, USERPROFILE).
 *
 * @example
 * cacheDirFor({ HOME: '/home/u' }, 'linux', path, os.homedir) // '/home/u/.cache/nmrpc/code-cache'
 */
export function cacheDirFor(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  path: CachePath,
  homedir: () => string,
): string | undefined {
  if (env.NMRPC_CODE_CACHE === '0') return undefined
  let home = ''
  try {
    home = platform === 'win32' ? (env.USERPROFILE ?? homedir()) : (env.HOME ?? homedir())
  } catch {}
  let base: string | undefined
  if (platform === 'win32') base = env.LOCALAPPDATA || (home && path.join(home, 'AppData', 'Local'))
  else if (platform === 'darwin') base = home && path.join(home, 'Library', 'Caches')
  else base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : home && path.join(home, '.cache')
  return base ? path.join(base, 'nmrpc', 'code-cache') : undefined
}

/**
 * The cache file's name for one build of host `name` on this node. V8 checks its version, flags and the
 * source itself and rejects a cache that does not match; the name tells a stale file, which the next write
 * removes.
 *
 * @example
 * cacheFileName('com.acme.app', 'bundle', '3f2a') // 'com.acme.app-bundle-3f2a-v20.20.2-x64.v8cache'
 */
export function cacheFileName(name: string, kind: 'bundle' | 'sea', id: string): string {
  return `${name}-${kind}-${id}-${process.version}-${process.arch}.v8cache`
}
