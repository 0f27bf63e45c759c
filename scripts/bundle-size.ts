// Measures what nmrpc adds to an extension: a createClient bundle, minified by esbuild, split by its
// metafile into nmrpc's own code and its dependencies (superjson). Exits 1 when nmrpc's own code is over
// the goal of issue 11 (30 KB), so the number cannot regress unnoticed once the goal is met.
// Run: node --import tsx scripts/bundle-size.ts
import { build } from 'esbuild'

const GOAL = 30 * 1024
const cases: Record<string, string> = {
  'createClient (default codec)': `import { createClient } from './src/client/index.js'; globalThis.c = createClient('com.acme.app')`,
  'createClient with jsonCodec()': `import { createClient, jsonCodec } from './src/client/index.js'; globalThis.c = createClient('com.acme.app', { codec: jsonCodec() })`,
  'RpcError only': `import { RpcError } from './src/client/index.js'; globalThis.e = RpcError`,
}

let over = false
for (const [name, contents] of Object.entries(cases)) {
  const r = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    outfile: 'out.js',
  })
  const out = Object.values(r.metafile.outputs)[0]!
  let own = 0
  let deps = 0
  for (const [file, input] of Object.entries(out.inputs)) {
    if (file.includes('node_modules')) deps += input.bytesInOutput
    else own += input.bytesInOutput
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
  console.log(`${name.padEnd(32)} total ${kb(out.bytes)}, nmrpc ${kb(own)}, dependencies ${kb(deps)}`)
  if (name.startsWith('createClient (default') && own > GOAL) over = true
}
if (over) {
  console.log(`nmrpc's own code in a createClient bundle is over the ${GOAL / 1024} KB goal`)
  process.exitCode = 1
}
