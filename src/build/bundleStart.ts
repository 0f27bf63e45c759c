// The first code of a file made by `nmrpc build`. The host, nmrpc and the built-file runtime are one
// CommonJS script, which this module compiles with V8's code cache. Most of a built host's start over a
// hand-written raw host was V8 parsing and compiling nmrpc's code (callgrind, bench/coldStart.ts); a cache
// made after a real start holds the bytecode of every function that start ran, so the next start skips
// nearly all of that. The cache is made on the user's machine, by the node that runs the host, the first
// time the host runs, and lives in the user's cache folder, never next to the shipped file: the bundle
// stays the one file you ship. A single executable also carries one made when it was built (an asset: the
// script compiled by the node inside it, not run), which its first start takes: 145 M -> 128 M instructions
// for the bench host with the cache folder off.
//
// What a start costs here was measured instruction by instruction (callgrind_annotate, bench host, Node
// 20.20; a raw host's whole start is 120 M): this module imports nothing, since each ES `import` of a Node
// built-in costs a start an ES module facade of it (node:fs, module, os, path, url and vm: 3 M), so the
// built-ins come from `process.getBuiltinModule` (the bundle's first lines fall back to a require on Node
// < 20.16). The bundle keeps its script in a comment, the body of a function at its end, not in a string
// literal: V8 must scan every character of the module it loads, and skips a comment several times faster
// than it scans and interns a string (170 KB: 0.5 M against 5 M); the function's source text (toString)
// gives the script back without reading the file again. The cache file is read with fs/promises, whose
// functions node has compiled already to load the bundle itself (readFileSync's first call: 1.5 M), and the
// cache's path is put together without node:path on POSIX (path.join's first call: 0.5 M).
import { type CachePath, cacheDirFor, cacheFileName, SEA_CODE_CACHE_ASSET } from './cacheLocation.js'
import { launchMode } from './launchMode.js'

/** Loads a Node built-in module by name (`node:fs`): `process.getBuiltinModule`, or a `require`. */
export type BuiltinLoader = (id: string) => unknown

/** Where a bundle file keeps its script: the comment that is the whole body of `fn` (see {@link scriptFromComment}). */
export interface ScriptComment {
  /** The function at the end of the bundle file, `function __nmrpcScript(){/*...*\/}`. */
  fn: () => void
  /** Characters of the script. */
  length: number
  /** Each `*\/` of the script is written as this in the comment (which `*\/` would end); absent if none. */
  escape?: string
}

/** What the bundle's entry passes to {@link runBundle}. */
export interface CachedBundle {
  /** The host name: the cache file's prefix. */
  name: string
  /** Which built file: a bundle and a single executable of one host keep a cache each. */
  kind: 'bundle' | 'sea'
  /** A hash of the script made at build time: a rebuilt bundle never meets an old cache. */
  id: string
  /**
   * The CommonJS bundle, wrapped as `(function (exports, require, module, __filename, __dirname, __nmrpcMetaUrl)
   * {\n...\n})` (the last is the built file's URL, the host's `import.meta.url`);
   * a bundle file keeps it in a comment instead (`comment`).
   */
  code?: string
  /** Where the bundle file holds the script, when `code` is not given. */
  comment?: ScriptComment
  /** The built file: the bundle (`import.meta.url`), or the single executable (its path). */
  url: string
  /** The built file's path, where node gives it (`import.meta.filename`, Node >= 20.11). @default from url */
  file?: string
  /** Its folder (`import.meta.dirname`). @default from file */
  dir?: string
  /** How this start loads Node's built-ins. */
  builtin: BuiltinLoader
  /** The `require` the host gets: a single executable's own (built-ins only). @default one for `file` */
  require?: NodeRequire
}

/**
 * Runs the bundle's host: compiles its script with the cache of a previous start when V8 accepts it (a
 * single executable without one: with the cache built into it), and when there was none, only the built-in
 * one, or V8 rejected it, writes one when the process exits (the exit is when the most functions have been
 * compiled). The cache never changes what runs: V8 checks it against the source and
 * compiles from the source when it does not match; a cache that cannot be read or written is skipped.
 *
 * @example
 * await runBundle({ name: 'com.acme.app', kind: 'sea', id: '3f2a', code, url: process.execPath, builtin: require, require })
 */
export async function runBundle(b: CachedBundle): Promise<void> {
  const builtin = b.builtin
  const vm = builtin('node:vm') as typeof import('node:vm')
  const file =
    b.file ??
    (b.url.startsWith('file:') ? (builtin('node:url') as typeof import('node:url')).fileURLToPath(b.url) : b.url)
  const windows = process.platform === 'win32'
  const path: CachePath = windows
    ? (builtin('node:path') as typeof import('node:path'))
    : { join: (...parts) => parts.join('/'), isAbsolute: (p) => p.startsWith('/') }
  // Only a browser-started run makes or takes the cache: a terminal command (--install...) compiles other
  // functions, and a cache written then would hold none of the host's.
  const host = launchMode(process.argv.slice(2), process.stdin.isTTY === true) === 'host'
  const homedir = () => (builtin('node:os') as typeof import('node:os')).homedir()
  const dir = host ? cacheDirFor(process.env, process.platform, path, homedir) : undefined
  const cacheName = cacheFileName(b.name, b.kind, b.id)
  const cacheFile = dir && path.join(dir, cacheName)
  let cachedData: Uint8Array | undefined
  if (cacheFile) {
    try {
      cachedData = await (builtin('node:fs/promises') as typeof import('node:fs/promises')).readFile(cacheFile)
    } catch {}
  }
  // Until this user's first start has written the full cache (and with the cache folder off), a single
  // executable takes the one made when it was built: the script's top level, compiled but not run.
  const builtIn = cachedData === undefined && host && b.kind === 'sea' ? seaCodeCache(builtin) : undefined
  cachedData ??= builtIn
  const code = b.code ?? scriptFromComment(b.comment, file)
  const script = new vm.Script(code, {
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
    const verdict = cachedData === undefined ? 'absent' : accepted ? 'accepted' : 'rejected'
    debug(() => `code cache ${verdict}${builtIn ? ' (built in)' : ''}: ${cacheFile ?? 'off'}`)
  }
  // A built-in cache holds no function the start ran: the full one is still to be written.
  if (dir && cacheFile && (!accepted || builtIn)) {
    process.once('exit', () => writeCache(builtin, script, dir, cacheName, `${b.name}-${b.kind}-`))
  }
  const module = { exports: {} }
  const folder = b.dir ?? (builtin('node:path') as typeof import('node:path')).dirname(file)
  const url = b.url.startsWith('file:') ? b.url : (builtin('node:url') as typeof import('node:url')).pathToFileURL(file).href
  const run = script.runInThisContext() as (...a: unknown[]) => void
  run.call(module.exports, module.exports, b.require ?? hostRequire(file, builtin), module, file, folder, url)
}

/** The code cache built into a single executable (Node >= 20.12), if it has one. */
function seaCodeCache(builtin: BuiltinLoader): Uint8Array | undefined {
  try {
    const sea = builtin('node:sea') as typeof import('node:sea')
    return sea.isSea() ? new Uint8Array(sea.getAsset(SEA_CODE_CACHE_ASSET)) : undefined
  } catch {
    // An older node has no node:sea, or an executable built by one has no such asset.
    return undefined
  }
}

/**
 * The script a bundle file keeps as the comment that is the whole body of `c.fn`: the function's source text
 * is `function __nmrpcScript(){/*` + the script + `*\/}`. A file whose line ends were turned into CRLF
 * (git's autocrlf) still works.
 *
 * @example
 * function f(){/*(function(){})*\/}
 * scriptFromComment({ fn: f, length: 14 }, 'a.mjs') // '(function(){})'
 */
export function scriptFromComment(c: ScriptComment | undefined, file: string): string {
  if (!c) throw new Error(`${file}: the built file names neither its script nor where it keeps it (a bug in nmrpc build).`)
  const text = Function.prototype.toString.call(c.fn)
  // The file as built first: looking for CRLF would scan all of it on every start.
  const script = commentBody(text, c.length) ?? commentBody(text.replaceAll('\r\n', '\n'), c.length)
  if (script === undefined) {
    throw new Error(
      `${file} is not the file nmrpc build wrote: the comment that keeps its script does not hold the ${c.length} ` +
        'characters it did (was the file edited, or saved in another encoding?). Build it again with nmrpc build.',
    )
  }
  return c.escape ? script.replaceAll(c.escape, '*/') : script
}

/** What `function f(){/*...*\/}` holds between its `{/*` and `*\/}`, if that is `length` characters. */
function commentBody(text: string, length: number): string | undefined {
  const start = text.indexOf('{/*') + 3
  const end = text.lastIndexOf('*/}')
  return start > 2 && end - start === length ? text.slice(start, end) : undefined
}

/**
 * The host's `require`: Node's built-ins straight from `process.getBuiltinModule` (all a bundle asks for,
 * since everything else is bundled in), and the real `require` of `file`, made on first use, for anything
 * else (a computed name, `require.resolve`). Making that one costs a start about 2 M instructions.
 */
function hostRequire(file: string, builtin: BuiltinLoader): NodeRequire {
  let real: NodeRequire | undefined
  const full = () => {
    real ??= (builtin('node:module') as typeof import('node:module')).createRequire(file)
    return real
  }
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  if (typeof get !== 'function') return full()
  const resolve = Object.assign((id: string, o?: { paths?: string[] }) => full().resolve(id, o), {
    paths: (id: string) => full().resolve.paths(id),
  })
  const req = Object.assign((id: string) => get(id) ?? full()(id), { resolve })
  for (const key of ['cache', 'main', 'extensions'] as const) {
    Object.defineProperty(req, key, { get: () => full()[key], enumerable: true })
  }
  return req as unknown as NodeRequire
}

/** Writes the cache by rename (two hosts starting at once never read half a file) and drops older ones. */
function writeCache(builtin: BuiltinLoader, script: import('node:vm').Script, dir: string, name: string, prefix: string): void {
  const fs = builtin('node:fs') as typeof import('node:fs')
  const path = builtin('node:path') as typeof import('node:path')
  const cacheFile = path.join(dir, name)
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${cacheFile}.${process.pid}.tmp`
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
    fs.renameSync(tmp, cacheFile)
    // One cache per host name and kind: those of earlier builds or other nodes go (host names have no '-').
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(prefix) && f !== name) fs.rmSync(path.join(dir, f), { force: true })
    }
    debug(() => `code cache written: ${cacheFile}`)
  } catch (e) {
    debug(() => `code cache not written (${cacheFile}): ${e instanceof Error ? e.message : String(e)}`)
  }
}

function debug(line: () => string): void {
  if (process.env.NMRPC_DEBUG) process.stderr.write(`nmrpc: ${line()}\n`)
}
