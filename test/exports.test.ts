import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

// The built package as users get it (npm test builds before running tests): ESM and CJS, through the
// package's own exports map.
const require = createRequire(import.meta.url)
const entries = ['client', 'server', 'node'] as const
// A computed specifier: the type checker runs before the build, when dist/ does not exist yet.
const dist = (entry: string): Promise<Record<string, unknown>> =>
  import(new URL(`../dist/${entry}/index.js`, import.meta.url).href)

describe('public exports of the built package', () => {
  it.each(entries)('nmrpc/%s has the same names in ESM and CJS', async (entry) => {
    const esm = Object.keys(await dist(entry)).sort()
    const cjs = Object.keys(require(`../dist/${entry}/index.cjs`)).sort()
    expect(cjs).toEqual(esm)
  })

  it('nmrpc/client exports', async () => {
    expect(Object.keys(await dist('client')).sort()).toMatchInlineSnapshot(`
      [
        "PROTOCOL_VERSION",
        "RPC_ERROR_CODES",
        "RpcError",
        "createClient",
        "jsonCodec",
        "superjsonCodec",
        "validate",
        "withContext",
      ]
    `)
  })

  it('nmrpc/server exports', async () => {
    expect(Object.keys(await dist('server')).sort()).toMatchInlineSnapshot(`
      [
        "NativeHost",
        "PROTOCOL_VERSION",
        "RPC_ERROR_CODES",
        "RpcError",
        "defineHost",
        "hostMiddleware",
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
    const { readFileSync, readdirSync } = await import('node:fs')
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

  it('declares types first in every export condition', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      exports: Record<string, Record<string, Record<string, string>> | string>
    }
    for (const [key, value] of Object.entries(pkg.exports)) {
      if (typeof value === 'string') continue
      for (const cond of Object.values(value)) expect(Object.keys(cond)[0], key).toBe('types')
    }
  })
})
