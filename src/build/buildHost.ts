import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtinModules } from 'node:module'
import type { BuildFailure, BuildOptions as EsbuildOptions, Message, Plugin } from 'esbuild'
import { UsageError } from '../node/install/errors.js'
import { parseExtensionIds, validateHostName } from '../node/install/names.js'
import { VERSION } from '../shared/version.js'
import { SEA_CODE_CACHE_ASSET } from './cacheLocation.js'
import type { BuiltConfig } from './config.js'
import { importTool, resolveTool } from './optionalTool.js'

/** What {@link buildHost} takes. */
export interface BuildHostOptions {
  /** The host's entry file (the one calling `host.listen()`): `.ts`, `.mts`, `.js` or `.mjs`. */
  entry: string
  /** The host name extensions pass to `connectNative`, e.g. `com.acme.app`. */
  name: string
  /** Allowed callers, baked in for `--install`: Chromium ids (32 letters a-p) and Firefox add-on ids. */
  extensionIds: readonly string[]
  /** Output folder. @default 'dist' (relative to `cwd`) */
  out?: string
  /** Also make a single executable with Node inside (`<out>/<name>`, `.exe` for a Windows node). */
  sea?: boolean
  /**
   * The Node binary to embed with `sea`: another version, or another OS's build, so one machine can make
   * the files for the others. @default process.execPath
   */
  nodeBinary?: string
  /** Manifest description. @default `<name> (built with nmrpc)` */
  description?: string
  /** Folder relative paths are taken from. @default process.cwd() */
  cwd?: string
  /** Progress lines (each step of a SEA build takes seconds). */
  log?: (line: string) => void
}

/** One file {@link buildHost} wrote. */
export interface BuiltFile {
  path: string
  bytes: number
}

export interface BuildHostResult {
  name: string
  /** `<out>/<name>.mjs`: runs with any Node >= 20. */
  bundle: BuiltFile & { modules: number }
  /** The single executable, with `sea`. */
  sea?: BuiltFile & { platform: 'linux' | 'darwin' | 'win32'; node: string }
  /** Things the author must still do (sign a macOS or Windows executable...). */
  notes: string[]
}

// Node's own names, from its single-executable-applications documentation.
const SEA_RESOURCE = 'NODE_SEA_BLOB'
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const SEA_MACHO_SEGMENT = 'NODE_SEA'
const ENTRY_EXT = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/

/**
 * Bundles a native host and everything it imports into one file, `<out>/<name>.mjs`, and with `sea` a
 * single executable `<out>/<name>` that needs no Node on the user's machine. TypeScript entries need no
 * compile step. The host name, the allowed extension ids and the nmrpc version are baked in, so the built
 * file registers itself: `--install`, `--uninstall`, `--doctor`, `--version`, `--help` (see
 * `src/build/selfCommand.ts`). Needs the optional peer dependencies `esbuild`, and `postject` for `sea`.
 *
 * The generated entry starts the built-file runtime, which imports `entry` only when a browser started
 * the file.
 *
 * @example
 * const r = await buildHost({ entry: 'src/host.ts', name: 'com.acme.app',
 *   extensionIds: ['knldjmfmopnpolahpmmgbagdohdnhkik', 'app@acme.com'], sea: true })
 * console.log(r.bundle.path, r.sea?.path) // dist/com.acme.app.mjs dist/com.acme.app
 */
export async function buildHost(o: BuildHostOptions): Promise<BuildHostResult> {
  const cwd = o.cwd ?? process.cwd()
  const log = o.log ?? (() => {})
  validateHostName(o.name)
  const ids = parseExtensionIds(o.extensionIds)
  if (ids.origins.length + ids.geckoIds.length === 0) {
    throw new UsageError(
      'No extension id given: pass --extension-id once per extension allowed to connect (a Chromium id of ' +
        '32 letters a-p, or a Firefox add-on id like "app@acme.com"). They are baked into the built host.',
    )
  }
  const entry = path.resolve(cwd, o.entry)
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new UsageError(`Host entry ${JSON.stringify(o.entry)} is not a file (looked at ${entry}).`)
  }
  if (!ENTRY_EXT.test(entry)) {
    throw new UsageError(
      `Host entry ${JSON.stringify(o.entry)} is not a JavaScript or TypeScript file (.ts, .mts, .js, .mjs).`,
    )
  }
  const out = path.resolve(cwd, o.out ?? 'dist')
  const nodeBinary = o.nodeBinary === undefined ? process.execPath : path.resolve(cwd, o.nodeBinary)
  if (o.nodeBinary !== undefined && !o.sea) {
    throw new UsageError('--node-binary only matters with --sea (it is the node put inside the executable).')
  }
  const esbuild = await importTool<typeof import('esbuild')>(
    'esbuild',
    'nmrpc build bundles the host with esbuild',
    cwd,
  )
  if (o.sea) resolveTool('postject', 'nmrpc build --sea injects the host into a copy of node with postject', cwd)
  // Checked before anything is written, so a wrong path costs no half-finished build.
  const platform = o.sea ? await binaryPlatform(nodeBinary) : undefined

  const base = {
    name: o.name,
    extensionIds: [...o.extensionIds],
    description: o.description ?? `${o.name} (built with nmrpc)`,
    nmrpcVersion: VERSION,
  }
  await mkdir(out, { recursive: true })
  const bundlePath = path.join(out, `${o.name}.mjs`)
  log(`bundling ${path.relative(cwd, entry) || entry}`)
  const notes: string[] = []
  const { modules } = await cachedBundle(esbuild, entry, { ...base, kind: 'bundle' }, bundlePath, notes)
  await chmod(bundlePath, 0o755)
  const result: BuildHostResult = {
    name: o.name,
    bundle: { path: bundlePath, bytes: (await stat(bundlePath)).size, modules },
    notes,
  }
  if (platform) {
    const where = { nodeBinary, platform, out, cwd, log }
    result.sea = await buildSea(esbuild, entry, { ...base, kind: 'sea' }, where, result.notes)
  }
  return result
}

/**
 * Writes the `.mjs`: the host bundled as CommonJS, kept in a comment (the body of a function at the end of
 * the file), and the small ES module before it that takes that comment and compiles it with V8's code
 * cache (src/build/bundleStart.ts). V8 only skips a comment (a string literal it must scan and intern),
 * and the cache made by the user's node
 * after the first start spares the next starts the parse and compile of every function the start runs
 * (callgrind, bench/coldStart.ts). The single executable's CommonJS main keeps the script as a string
 * literal: node compiles that main with the code cache in the executable, which holds the string. A host
 * CommonJS cannot hold (top-level await) is bundled as a plain ES module instead, without the cache, and a
 * note says so. Returns how many source files went in, and the script (absent for a plain ES module).
 */
async function cachedBundle(
  esbuild: typeof import('esbuild'),
  entry: string,
  config: BuiltConfig,
  outfile: string,
  notes: string[],
): Promise<{ modules: number; script?: string }> {
  let inner: { modules: number; code: string; map?: string }
  try {
    inner = await bundleText(esbuild, entry, config, 'cjs', outfile)
  } catch (e) {
    if (config.kind === 'sea') throw e
    const modules = await bundle(esbuild, entry, config, 'esm', outfile)
    notes.push(
      `${path.basename(outfile)} is a plain ES module without V8's code cache (each start parses it again): ` +
        `the host cannot be bundled as CommonJS (${(e as Error).message.split('\n').slice(1).join(' ').trim()}).`,
    )
    return { modules }
  }
  // import.meta.url comes in as a parameter: the bundle's own is free, and pathToFileURL(__filename) at the
  // top of the script cost every start about 8% of its wall clock (--cpu-prof of the bench host).
  const code = `(function (exports, require, module, __filename, __dirname, __nmrpcMetaUrl) {\n${inner.code}\n})`
  const id = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const sea = config.kind === 'sea'
  const head = `runBundle({ name: ${JSON.stringify(config.name)}, kind: ${JSON.stringify(config.kind)}, id: ${JSON.stringify(id)}, `
  let tail = ''
  let start: string
  if (sea) {
    // A single executable runs CommonJS with its own require (built-ins only), and is its own file.
    start = `${head}url: process.execPath, builtin: require, require, code: ${JSON.stringify(code)} })`
  } else {
    const escape = commentEscape(code)
    const kept = escape ? code.replaceAll('*/', escape) : code
    // The body of a function, whose source text (toString) gives the script back (see bundleStart.ts).
    tail = `function __nmrpcScript(){/*${kept}*/}\n`
    const comment = `{ fn: __nmrpcScript, length: ${kept.length}${escape ? `, escape: ${JSON.stringify(escape)}` : ''} }`
    // Node >= 20.16 gives built-ins without an ES import (see bundleStart.ts); older ones get a require.
    const builtin =
      "typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule : " +
      "(await import('node:module')).createRequire(import.meta.url)"
    start =
      `await ${head}url: import.meta.url, file: import.meta.filename, dir: import.meta.dirname, ` +
      `builtin: ${builtin}, comment: ${comment} })`
  }
  const stub = [`import { runBundle } from ${JSON.stringify(runtimeFile('bundleStart'))}`, start, ''].join('\n')
  const built = await esbuild.build({
    stdin: { contents: stub, resolveDir: path.dirname(entry), sourcefile: `${config.name}.start.js`, loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: sea ? 'cjs' : 'esm',
    outfile,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    minify: true,
    banner: sea ? {} : { js: '#!/usr/bin/env node' },
  })
  const text = built.outputFiles?.[0]?.text ?? ''
  await writeFile(outfile, tail ? `${text.endsWith('\n') ? text : `${text}\n`}${tail}` : text)
  if (inner.map && !sea) await writeFile(`${outfile}.map`, inner.map)
  return { modules: inner.modules, script: code }
}

/**
 * What stands for each `*\/` of `code` in the comment that keeps it (a `*\/` would end the comment): `*`, a
 * control character the code does not hold, `/`. Undefined when the code has no `*\/`.
 */
function commentEscape(code: string): string | undefined {
  if (!code.includes('*/')) return undefined
  for (let c = 1; c < 32; c++) {
    const mark = String.fromCharCode(c)
    if (c !== 10 && c !== 13 && !code.includes(mark)) return `*${mark}/`
  }
  throw new Error('nmrpc build: the bundled host holds every control character, so it cannot be kept in a comment (a bug in nmrpc build).')
}

/** Bundles the generated entry (runtime + host) to `outfile`; returns how many source files went in. */
async function bundle(
  esbuild: typeof import('esbuild'),
  entry: string,
  config: BuiltConfig,
  format: 'esm' | 'cjs',
  outfile: string,
): Promise<number> {
  return (await bundleText(esbuild, entry, config, format, outfile, true)).modules
}

/** Bundles the generated entry; with `write`, to `outfile`, else returns the code (and its source map). */
async function bundleText(
  esbuild: typeof import('esbuild'),
  entry: string,
  config: BuiltConfig,
  format: 'esm' | 'cjs',
  outfile: string,
  write = false,
): Promise<{ modules: number; code: string; map?: string }> {
  const runtime = runtimeFile('runtime')
  // The host is imported lazily so that `--install` never starts it and a browser launch never loads the
  // install code.
  const load = `() => import(${JSON.stringify(entry)})`
  const contents = [
    `import { launch } from ${JSON.stringify(runtime)}`,
    `launch(${JSON.stringify(config)}, ${load})`,
    '',
  ].join('\n')
  const options: EsbuildOptions = {
    stdin: { contents, resolveDir: path.dirname(entry), sourcefile: `${config.name}.entry.js`, loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    outfile,
    write,
    metafile: true,
    plugins: [lazyBuiltins, selfCommandAsText(esbuild), lazySuperjson(runtime)],
    logLevel: 'silent',
    legalComments: 'none',
    // Half the bytes for node to read and parse on every start (cold start is the budget that matters for
    // a host the browser starts per connection); the bundle keeps a source map for --enable-source-maps.
    minify: true,
    keepNames: false,
    sourcemap: format === 'esm' || !write ? 'linked' : false,
    // A CommonJS dependency's require('fs') needs a real require inside an ES module.
    banner:
      format === 'esm'
        ? {
            js: "#!/usr/bin/env node\nimport { createRequire as __nmrpcCreateRequire } from 'node:module';\nconst require = __nmrpcCreateRequire(import.meta.url);",
          }
        : {
            js: 'var __nmrpcMetaFile = __filename;\nvar __nmrpcMetaDir = __dirname;',
          },
    // A single executable runs CommonJS only (Node 20): import.meta would be empty there.
    define:
      format === 'cjs'
        ? {
            'import.meta.url': '__nmrpcMetaUrl',
            'import.meta.filename': '__nmrpcMetaFile',
            'import.meta.dirname': '__nmrpcMetaDir',
          }
        : {},
  }
  try {
    const r = await esbuild.build(options)
    const modules = Object.keys(r.metafile?.inputs ?? {}).length
    if (write) return { modules, code: '' }
    const code = r.outputFiles?.find((f) => !f.path.endsWith('.map'))?.text
    if (code === undefined) throw new Error(`esbuild wrote no code for ${entry} (this is a bug in nmrpc build).`)
    return { modules, code, map: r.outputFiles?.find((f) => f.path.endsWith('.map'))?.text }
  } catch (e) {
    const errors = (e as Partial<BuildFailure>).errors
    if (!Array.isArray(errors)) throw e
    throw new Error(
      `esbuild could not bundle ${entry}${format === 'cjs' ? ' as CommonJS (for the single executable)' : ''}:\n` +
        errors.map((m) => `  ${formatMessage(m)}${hint(m, format)}`).join('\n'),
    )
  }
}

const BUILTINS = new Set(builtinModules)
const BUILTIN_NS = 'nmrpc-builtin'

/**
 * Loads Node's built-in modules where the code using them first runs, not at the top of the bundle.
 * esbuild hoists every `import ... from 'node:x'` of an ES module bundle to its top, so a browser-started
 * host loaded node:child_process, node:fs/promises, node:util... for the `--install`/`--doctor` code it
 * never runs (9 ms of node's internal module loading per start in a --cpu-prof of the bench host). As
 * CommonJS shims (`module.exports = require('node:x')`) they are required inside esbuild's lazy module
 * wrappers, so the install code's built-ins load only with it.
 */
const lazyBuiltins: Plugin = {
  name: 'nmrpc-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_][a-z_0-9/]*$/ }, (a) => {
      const bare = a.path.startsWith('node:') ? a.path.slice(5) : a.path
      if (!BUILTINS.has(bare)) return undefined
      // The shim's own require stays a real require (the banner's createRequire in the ES module).
      if (a.namespace === BUILTIN_NS) return { path: `node:${bare}`, external: true }
      return { path: `node:${bare}`, namespace: BUILTIN_NS }
    })
    b.onLoad({ filter: /.*/, namespace: BUILTIN_NS }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(a.path)})`,
      loader: 'js',
    }))
  },
}

/**
 * Evaluates superjson's module when a value first needs it (a Date, a Map, binary data...), not when the
 * host starts: plain JSON, what a host's first calls usually carry, never does (superjsonCodec makes its
 * superjson on first use). nmrpc's own `import { SuperJSON } from 'superjson'` gets a stand-in whose
 * constructor `require`s the real package, which esbuild then bundles as a module evaluated on that first
 * require. Callgrind, bench host: 0.6 M instructions of a built host's start, and 15 KB of its code cache.
 * An import of superjson by the author's own code is left as it is.
 */
function lazySuperjson(runtime: string): Plugin {
  const ns = 'nmrpc-lazy-superjson'
  // src/build/runtime.ts or dist/build/runtime.js: nmrpc's files are those under the folder above build/.
  const nmrpc = path.dirname(path.dirname(runtime)) + path.sep
  return {
    name: 'nmrpc-lazy-superjson',
    setup(b) {
      b.onResolve({ filter: /^superjson$/ }, (a) => {
        if (a.namespace !== 'file' || !a.importer.startsWith(nmrpc)) return undefined
        return { path: a.importer, namespace: ns, pluginData: a.resolveDir }
      })
      b.onLoad({ filter: /.*/, namespace: ns }, (a) => ({
        loader: 'js',
        // The stand-in's require resolves from where nmrpc's import did, to the real package.
        resolveDir: a.pluginData as string,
        contents: [
          'let real',
          'export class SuperJSON {',
          '  constructor(options) {',
          "    real ??= require('superjson')",
          '    return new real.SuperJSON(options)',
          '  }',
          '}',
          '',
        ].join('\n'),
      }))
    },
  }
}

/**
 * Keeps the terminal-mode code (`--install`, `--uninstall`, `--doctor`, `--help`: about 65 KiB minified)
 * out of what V8 parses when a browser starts the host. The runtime's `import('./selfCommand.js')` gets a
 * stand-in module holding that code, bundled on its own as CommonJS, as one string literal, compiled by
 * `new Function` only when a command runs. V8 skips through a string literal far faster than it preparses
 * the same code as functions (callgrind, bench host bundle: see bench/coldStart.ts). The terminal code
 * needs only Node's built-ins, which both the bundle's banner `require` and a single executable's
 * `require` load; the output stays one file.
 */
function selfCommandAsText(esbuild: typeof import('esbuild')): Plugin {
  const ns = 'nmrpc-self-command'
  return {
    name: 'nmrpc-self-command-as-text',
    setup(b) {
      b.onResolve({ filter: /selfCommand/ }, async (a) => {
        if (a.namespace !== 'file' || !/[\\/]runtime\.[jt]s$/.test(a.importer)) return undefined
        const r = await b.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer })
        if (r.errors.length > 0) return { errors: r.errors }
        return { path: r.path, namespace: ns }
      })
      b.onLoad({ filter: /.*/, namespace: ns }, async (a) => {
        const r = await esbuild.build({
          entryPoints: [a.path],
          bundle: true,
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          write: false,
          minify: true,
          legalComments: 'none',
          logLevel: 'silent',
        })
        const code = `${r.outputFiles[0]!.text}//# sourceURL=nmrpc-self-command.js\n`
        return {
          loader: 'js',
          contents: [
            `const code = ${JSON.stringify(code)}`,
            'let loaded',
            'export function selfCommand(config, argv, io) {',
            '  if (!loaded) {',
            '    const m = { exports: {} }',
            "    new Function('module', 'exports', 'require', code)(m, m.exports, require)",
            '    loaded = m.exports',
            '  }',
            '  return loaded.selfCommand(config, argv, io)',
            '}',
            '',
          ].join('\n'),
        }
      })
    },
  }
}

function formatMessage(m: Message): string {
  const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''
  return `${at}${m.text}`
}

function hint(m: Message, format: 'esm' | 'cjs'): string {
  if (format === 'cjs' && /top-level await/i.test(m.text)) {
    return (
      '\n    Node 20 runs only CommonJS in a single executable, and CommonJS has no top-level await: ' +
      'move the await into an async function (host.listen() needs no await).'
    )
  }
  if (/Could not resolve/.test(m.text)) return '\n    Install the package, or fix the import path.'
  return ''
}

/** The built-file runtime next to this module: source under tsx/vitest, dist/build/runtime.js when built. */
function runtimeFile(file: 'runtime' | 'bundleStart'): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  // From src/build/, from dist/build/, from dist/cli/ or a shared dist/ chunk (tsup's code splitting).
  const candidates = [
    path.join(here, `${file}.ts`),
    path.join(here, `${file}.js`),
    path.join(here, '..', 'build', `${file}.js`),
    path.join(here, 'build', `${file}.js`),
  ]
  const found = candidates.find((c) => existsSync(c))
  if (!found) {
    throw new Error(
      `nmrpc's built-host runtime is missing (looked for ${candidates.join(', ')}). Reinstall nmrpc; in the nmrpc repository run npm run build.`,
    )
  }
  return found
}

type BinaryPlatform = 'linux' | 'darwin' | 'win32'

/** Whether a node of this version (`v20.20.2`) takes `assets` in its SEA config: 20.12 and 21.7 on. */
function seaAssets(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  return major > 21 || (major === 21 && minor >= 7) || (major === 20 && minor >= 12)
}

/**
 * The code cache of `script` as the node inside the executable makes it: compiled, not run (running it would
 * start the author's host at build time), so it holds the script's top level and the bundle's module code
 * around it, the parse a first start would otherwise do (callgrind, bench host: the executable's first start
 * 145 M -> 128 M instructions, the cache folder off). Made by that node itself, since V8 takes a cache only from its own version
 * and flags. Undefined when that node fails to make it.
 */
async function builtInCodeCache(nodeBinary: string, script: string, tmp: string): Promise<string | undefined> {
  const source = path.join(tmp, 'script.js')
  const cache = path.join(tmp, 'script.v8cache')
  const maker = path.join(tmp, 'make-code-cache.cjs')
  await writeFile(source, script)
  await writeFile(
    maker,
    [
      "const fs = require('node:fs')",
      "const vm = require('node:vm')",
      "const script = new vm.Script(fs.readFileSync(process.argv[2], 'utf8'), { filename: 'host', lineOffset: -1 })",
      'fs.writeFileSync(process.argv[3], script.createCachedData())',
      '',
    ].join('\n'),
  )
  // Without NODE_OPTIONS: V8 flags there (--max-old-space-size...) would be in the cache's flag hash, and
  // a user's start, without them, would reject it.
  const r = await run(nodeBinary, [maker, source, cache], 60_000, { ...process.env, NODE_OPTIONS: '' })
  return r.ok && existsSync(cache) ? cache : undefined
}

/** Which OS a node binary is for, from its first bytes (ELF, Mach-O or PE). */
async function binaryPlatform(file: string): Promise<BinaryPlatform> {
  let head: Buffer
  try {
    const fh = await open(file, 'r')
    try {
      head = Buffer.alloc(4)
      await fh.read(head, 0, 4, 0)
    } finally {
      await fh.close()
    }
  } catch (e) {
    throw new UsageError(`--node-binary ${JSON.stringify(file)} cannot be read: ${(e as Error).message}.`)
  }
  if (head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'linux'
  if (head[0] === 0x4d && head[1] === 0x5a) return 'win32'
  const magic = head.readUInt32BE(0)
  if ([0xfeedfacf, 0xcffaedfe, 0xcafebabe, 0xbebafeca, 0xfeedface, 0xcefaedfe].includes(magic)) return 'darwin'
  throw new UsageError(
    `--node-binary ${JSON.stringify(file)} is not an executable (not ELF, Mach-O or PE). Give the path of a node binary.`,
  )
}

function run(
  cmd: string,
  args: string[],
  timeout = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}${err && !stderr ? err.message : ''}` }),
    )
  })
}

async function buildSea(
  esbuild: typeof import('esbuild'),
  entry: string,
  config: BuiltConfig,
  where: { nodeBinary: string; platform: BinaryPlatform; out: string; cwd: string; log: (line: string) => void },
  notes: string[],
): Promise<NonNullable<BuildHostResult['sea']>> {
  const { nodeBinary, platform, out, cwd, log } = where
  const exe = path.join(out, platform === 'win32' ? `${config.name}.exe` : config.name)
  const tmp = await mkdtemp(path.join(tmpdir(), 'nmrpc-sea-'))
  try {
    const main = path.join(tmp, 'main.cjs')
    log('bundling as CommonJS for the single executable')
    const { script } = await cachedBundle(esbuild, entry, config, main, notes)

    // The blob must come from the same Node version as the binary it goes into, so the embedded node makes
    // it when it can run here; another OS's node cannot, and then this node must be the same version.
    const blob = path.join(tmp, 'sea.blob')
    const seaConfig = path.join(tmp, 'sea-config.json')
    const probe = await run(nodeBinary, ['--version'], 30_000)
    const embedded = probe.ok ? probe.out.trim() : undefined
    const blobNode = embedded ? nodeBinary : process.execPath
    const assets: Record<string, string> = {}
    if (script && embedded && seaAssets(embedded)) {
      const cache = await builtInCodeCache(nodeBinary, script, tmp)
      if (cache) assets[SEA_CODE_CACHE_ASSET] = cache
      else notes.push(`${nodeBinary} could not make the executable's built-in code cache; its first start compiles the host.`)
    }
    await writeFile(
      seaConfig,
      JSON.stringify({
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: true,
        ...(Object.keys(assets).length > 0 ? { assets } : {}),
      }),
    )
    if (!embedded) {
      notes.push(
        `${nodeBinary} cannot run on this machine, so the SEA blob was made by this node (${process.version}); ` +
          'the embedded node must be that same version, or the executable will not start.',
      )
    }
    log(`preparing the SEA blob with ${blobNode}`)
    const made = await run(blobNode, ['--experimental-sea-config', seaConfig])
    if (!made.ok) {
      throw new Error(
        `${blobNode} --experimental-sea-config failed: ${made.out.trim()}. Single executables need Node >= 20 ` +
          '(nmrpc uses the Node 20 way: --experimental-sea-config and postject).',
      )
    }

    await rm(exe, { force: true })
    await copyFile(nodeBinary, exe)
    await chmod(exe, 0o755)
    const onMac = process.platform === 'darwin'
    if (platform === 'darwin' && onMac) {
      // Injecting breaks the signature of Node's binary; macOS kills a binary whose signature does not match.
      const r = await run('codesign', ['--remove-signature', exe])
      if (!r.ok) throw new Error(`codesign --remove-signature ${exe} failed: ${r.out.trim()}`)
    }
    log(`injecting into a copy of ${nodeBinary} (postject; takes a while)`)
    const postject = resolveTool('postject', 'nmrpc build --sea injects with postject', cwd, 'dist/cli.js')
    const args = [postject, exe, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE]
    if (platform === 'darwin') args.push('--macho-segment-name', SEA_MACHO_SEGMENT)
    // Its own process: postject holds the whole binary in memory and prints warnings we only want on failure.
    const injected = await run(process.execPath, args, 600_000)
    if (!injected.ok) throw new Error(`postject could not inject into ${exe}: ${injected.out.trim()}`)

    if (platform === 'darwin') {
      if (onMac) {
        const r = await run('codesign', ['--sign', '-', exe])
        if (!r.ok) throw new Error(`codesign --sign - ${exe} failed: ${r.out.trim()}`)
        notes.push(
          `${exe} is signed ad hoc (codesign --sign -). To ship it, sign it with your Developer ID ` +
            '(codesign --sign "Developer ID Application: ..." --options runtime) and notarize it.',
        )
      } else {
        notes.push(
          `${exe} is a macOS executable with a broken signature (made off a Mac). Before shipping, on a Mac: ` +
            `codesign --remove-signature ${path.basename(exe)} && codesign --sign - ${path.basename(exe)} ` +
            '(or your Developer ID). Apple Silicon Macs refuse to run it unsigned.',
        )
      }
    }
    if (platform === 'win32') {
      notes.push(
        `${exe} is unsigned, which works; to avoid SmartScreen warnings sign it on Windows: ` +
          `signtool sign /fd SHA256 /a ${path.basename(exe)}.`,
      )
    }
    const sameMachine = platform === (process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux')
    if (sameMachine) {
      // A quick start proves the blob and the binary agree (a version mismatch fails here, not at a user's).
      const check = await run(exe, ['--version'], 60_000)
      if (!check.ok) throw new Error(`The built executable ${exe} does not start: ${check.out.trim()}`)
    }
    return { path: exe, bytes: (await stat(exe)).size, platform, node: embedded ?? process.version }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}
