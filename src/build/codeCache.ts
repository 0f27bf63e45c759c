// The first code of a bundle made by `nmrpc build` (the `.mjs`). The host, nmrpc and the built-file runtime
// are one CommonJS script held in the bundle as a string literal; this module compiles it with V8's code
// cache. Most of a built host's start over a hand-written raw host is V8 parsing and compiling nmrpc's
// code (callgrind, bench/coldStart.ts); a cache made after a real start holds the bytecode of every
// function that start ran, so the next start skips nearly all of that. The cache is made on the user's
// machine, by the node that runs the host, the first time the host runs, and lives in the user's cache
// folder, never next to the shipped file: the bundle stays the one file you ship.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { launchMode } from './launchMode.js'

/** What the bundle's entry passes to {@link runBundle}. */
export interface CachedBundle {
  /** The host name: the cache file's prefix. */
  name: string
  /** Which built file: a bundle and a single executable of one host keep a cache each. */
  kind: 'bundle' | 'sea'
  /** A hash of `code` made at build time: a rebuilt bundle never meets an old cache. */
  id: string
  /** The CommonJS bundle, wrapped as `(function (exports, require, module, __filename, __dirname) {\n...\n})`. */
  code: string
  /** The built file: the bundle (`import.meta.url`), or the single executable (its path). */
  url: string
  /** The `require` the host gets: a single executable's own (built-ins only). @default createRequire(url) */
  require?: NodeRequire
}

/**
 * The folder of nmrpc's code caches for this user: `$XDG_CACHE_HOME/nmrpc/code-cache` (else
 * `~/.cache/...`) on Linux, `~/Library/Caches/nmrpc/code-cache` on macOS, `%LOCALAPPDATA%\nmrpc\code-cache`
 * on Windows. Undefined with no home folder, or when `NMRPC_CODE_CACHE=0` turns the cache off.
 *
 * @example
 * codeCacheDir({ HOME: '/home/u' }, 'linux') // '/home/u/.cache/nmrpc/code-cache'
 */
export function codeCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
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
 * The cache file of one build of host `name` for this node. V8 checks its version, flags and the source
 * itself and rejects a cache that does not match; the name tells a stale file, which the next write removes.
 *
 * @example
 * codeCacheFile('/home/u/.cache/nmrpc/code-cache', 'com.acme.app', 'bundle', '3f2a')
 * // .../com.acme.app-bundle-3f2a-v20.20.2-x64.v8cache
 */
export function codeCacheFile(dir: string, name: string, kind: 'bundle' | 'sea', id: string): string {
  return path.join(dir, `${name}-${kind}-${id}-${process.version}-${process.arch}.v8cache`)
}

/**
 * Runs the bundle's host: compiles `b.code` with the cache of a previous start when V8 accepts it, and
 * when there was none or V8 rejected it, writes one when the process exits (the exit is when the most
 * functions have been compiled). The cache never changes what runs: V8 checks it against the source and
 * compiles from the source when it does not match; a cache that cannot be read or written is skipped.
 *
 * @example
 * runBundle({ name: 'com.acme.app', kind: 'bundle', id: '3f2a', code, url: import.meta.url })
 */
export function runBundle(b: CachedBundle): void {
  const file = b.url.startsWith('file:') ? fileURLToPath(b.url) : b.url
  // Only a browser-started run makes or takes the cache: a terminal command (--install...) compiles other
  // functions, and a cache written then would hold none of the host's.
  const host = launchMode(process.argv.slice(2), process.stdin.isTTY === true) === 'host'
  const dir = host ? codeCacheDir() : undefined
  const cacheFile = dir && codeCacheFile(dir, b.name, b.kind, b.id)
  let cachedData: Buffer | undefined
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile)
    } catch {}
  }
  const script = new vm.Script(b.code, {
    filename: file,
    lineOffset: -1,
    cachedData,
    // A dynamic import() left in the host (of a computed name) resolves as it would in the bundle itself.
    importModuleDynamically:
      vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ?? ((specifier: string) => import(specifier) as never),
  })
  // V8 sets cachedDataRejected only when it was given a cache: false means it took it.
  const accepted = script.cachedDataRejected === false
  if (host) {
    debug(() => `code cache ${cachedData === undefined ? 'absent' : accepted ? 'accepted' : 'rejected'}: ${cacheFile ?? 'off'}`)
  }
  if (dir && cacheFile && !accepted) process.once('exit', () => writeCache(script, dir, cacheFile, `${b.name}-${b.kind}-`))
  const module = { exports: {} }
  const run = script.runInThisContext() as (...a: unknown[]) => void
  run.call(module.exports, module.exports, b.require ?? createRequire(file), module, file, path.dirname(file))
}

/** Writes the cache by rename (two hosts starting at once never read half a file) and drops older ones. */
function writeCache(script: vm.Script, dir: string, cacheFile: string, prefix: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${cacheFile}.${process.pid}.tmp`
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
    renameSync(tmp, cacheFile)
    // One cache per host name and kind: those of earlier builds or other nodes go (host names have no '-').
    for (const f of readdirSync(dir)) {
      if (f.startsWith(prefix) && f !== path.basename(cacheFile)) rmSync(path.join(dir, f), { force: true })
    }
    debug(() => `code cache written: ${cacheFile}`)
  } catch (e) {
    debug(() => `code cache not written (${cacheFile}): ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * Removes the code caches of host `name` for this user (all builds, all nodes); `--uninstall` calls it.
 * Returns the files removed.
 *
 * @example
 * removeCodeCaches('com.acme.app') // ['/home/u/.cache/nmrpc/code-cache/com.acme.app-3f2a-v20.20.2-x64.v8cache']
 */
export function removeCodeCaches(name: string, dir = codeCacheDir()): string[] {
  if (!dir) return []
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(`${name}-`))
  } catch {
    return []
  }
  for (const f of files) rmSync(path.join(dir, f), { force: true })
  return files.map((f) => path.join(dir, f))
}

function debug(line: () => string): void {
  if (process.env.NMRPC_DEBUG) process.stderr.write(`nmrpc: ${line()}\n`)
}
