import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { consumerBundle } from '../scripts/consumerBundle.js'

// The built package as users get it (npm test builds before running tests): ESM and CJS, through the
// package's own exports map.
const require = createRequire(import.meta.url)
const entries = ['client', 'client/core', 'server', 'node'] as const
// A computed specifier: the type checker runs before the build, when dist/ does not exist yet.
const file = (entry: string) => (entry.includes('/') ? entry : `${entry}/index`)
const dist = (entry: string): Promise<Record<string, unknown>> =>
  import(new URL(`../dist/${file(entry)}.js`, import.meta.url).href)

describe('public exports of the built package', () => {
  it.each(entries)('nmrpc/%s has the same names in ESM and CJS', async (entry) => {
    const esm = Object.keys(await dist(entry)).sort()
    const cjs = Object.keys(require(`../dist/${file(entry)}.cjs`)).sort()
    expect(cjs).toEqual(esm)
  })

  it('RpcError.is and isRpcError recognise errors of the other copy (ESM vs CJS), instanceof cannot', async () => {
    type Mod = {
      RpcError: typeof import('../src/shared/errors.js').RpcError
      isRpcError: (v: unknown) => boolean
    }
    const esm = (await dist('client')) as unknown as Mod
    const cjs = require('../dist/client/index.cjs') as Mod
    const fromCjs = new cjs.RpcError('TIMEOUT', 'slow')
    const fromEsm = new esm.RpcError('TIMEOUT', 'slow')
    expect(fromCjs instanceof esm.RpcError).toBe(false)
    expect(esm.RpcError.is(fromCjs)).toBe(true)
    expect(esm.isRpcError(fromCjs)).toBe(true)
    expect(cjs.RpcError.is(fromEsm)).toBe(true)
    for (const other of [new Error('x'), { code: 'TIMEOUT', message: 'x' }, null, 'TIMEOUT'])
      expect(esm.RpcError.is(other)).toBe(false)
  })

  it('nmrpc/client exports', async () => {
    expect(Object.keys(await dist('client')).sort()).toMatchInlineSnapshot(`
      [
        "PROTOCOL_VERSION",
        "RPC_ERROR_CODES",
        "RpcError",
        "createClient",
        "isRpcError",
        "jsonCodec",
        "superjsonCodec",
        "validate",
        "withContext",
      ]
    `)
  })

  it('nmrpc/client/core exports the names of nmrpc/client, and oneShotMode', async () => {
    expect(Object.keys(await dist('client/core')).sort()).toEqual(
      [...Object.keys(await dist('client')), 'oneShotMode'].sort(),
    )
  })

  it('nmrpc/server exports', async () => {
    expect(Object.keys(await dist('server')).sort()).toMatchInlineSnapshot(`
      [
        "NativeHost",
        "PROTOCOL_VERSION",
        "RPC_ERROR_CODES",
        "RpcError",
        "appEndpoint",
        "defineHost",
        "hostMiddleware",
        "isRpcError",
        "jsonCodec",
        "parseLaunchContext",
        "superjsonCodec",
        "validate",
        "withContext",
      ]
    `)
  })

  it('nmrpc/node exports (spawnHost and the install API)', async () => {
    const names = Object.keys(await dist('node'))
    expect(names).toEqual(
      expect.arrayContaining(['spawnHost', 'ChildPort', 'install', 'uninstall', 'doctor']),
    )
  })

  it('the client bundle imports nothing from node:*, so it bundles for a service worker', async () => {
    const js = readFileSync(new URL('../dist/client/index.js', import.meta.url), 'utf8')
    const chunks = [...js.matchAll(/from "\.\.\/(chunk-[\w-]+\.js)"/g)].map((m) => m[1]!)
    expect(readdirSync(new URL('../dist', import.meta.url))).toEqual(expect.arrayContaining(chunks))
    for (const file of [
      js,
      ...chunks.map((c) => readFileSync(new URL(`../dist/${c}`, import.meta.url), 'utf8')),
    ]) {
      expect(file).not.toMatch(/from "node:|require\("node:/)
    }
  })

  // What a consumer's bundler keeps from the built package (esbuild, as scripts/bundle-size.ts measures it):
  // superjson's package does not say `sideEffects: false`, so one `import 'superjson'` in a dist chunk that
  // a bundle keeps for other reasons keeps superjson too.
  const bundled = async (contents: string) => {
    const r = await consumerBundle(contents, new URL('..', import.meta.url).pathname)
    const inputs = Object.values(r.metafile.outputs)[0]!.inputs
    return Object.keys(inputs).filter((f) => inputs[f]!.bytesInOutput > 0)
  }

  it.each([
    [
      'createClient from nmrpc/client/core with jsonCodec()',
      `import { createClient, jsonCodec } from './dist/client/core.js'; globalThis.c = createClient('x', { codec: jsonCodec() })`,
    ],
    [
      'RpcError alone from nmrpc/client',
      `import { RpcError } from './dist/client/index.js'; globalThis.e = RpcError`,
    ],
  ])('a bundle of %s carries no superjson', async (_, contents) => {
    const files = await bundled(contents)
    expect(files.some((f) => f.includes('dist/'))).toBe(true)
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([])
  })

  it('a bundle that uses superjsonCodec carries superjson', async () => {
    const files = await bundled(
      `import { createClient, superjsonCodec } from './dist/client/core.js'; globalThis.c = createClient('x', { codec: superjsonCodec() })`,
    )
    expect(files.some((f) => f.includes('node_modules/superjson/'))).toBe(true)
  })

  it('declares types first in every export condition', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      exports: Record<string, Record<string, Record<string, string>> | string>
    }
    for (const [key, value] of Object.entries(pkg.exports)) {
      if (typeof value === 'string') continue
      for (const cond of Object.values(value)) expect(Object.keys(cond)[0], key).toBe('types')
    }
  })

  it('ships what a user needs and nothing else (npm pack)', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path)
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'PROTOCOL.md', 'dist/cli/main.js']))
    // The CLI is a program run through `bin`; nothing requires it, so no CommonJS copy.
    expect(files.filter((f) => f.startsWith('dist/cli/'))).toEqual([
      'dist/cli/main.js',
      'dist/cli/main.js.map',
    ])
    expect(files.filter((f) => !/^dist\/|^(LICENSE|README\.md|PROTOCOL\.md|package\.json)$/.test(f))).toEqual(
      [],
    )
  })

  it('each built file names its source map exactly once', () => {
    const dir = new URL('../dist/', import.meta.url)
    const code = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.c?js$/.test(f))
    expect(code.length).toBeGreaterThan(6)
    for (const f of code) {
      const maps = readFileSync(new URL(f, dir), 'utf8').match(/^\/\/# sourceMappingURL=/gm) ?? []
      expect(maps.length, f).toBe(1)
    }
  })

  it('the CommonJS build requires only node:* and its own chunks (superjson is ESM-only, so it is bundled in)', () => {
    const dir = new URL('../dist/', import.meta.url)
    const cjs = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cjs'))
    const required = new Set<string>()
    for (const f of cjs)
      for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/require\("([^"]+)"\)/g))
        required.add(m[1]!)
    expect([...required].filter((r) => !r.startsWith('node:') && !r.startsWith('.'))).toEqual([])
  })
})
