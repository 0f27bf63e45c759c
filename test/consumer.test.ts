// A new TypeScript project as a user has one: nmrpc installed in node_modules from the built package,
// strict, skipLibCheck false, lib ES2023 + DOM and no @types/node. The extension does
// `import type { Host }` from the host's file; that must compile, and the types must tell the truth.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
let project = ''

const host = `import { defineHost } from 'nmrpc/server'
class Notes { private db = { drop: () => 1 }; list() { return [this.db ? 'a' : 'b'] } }
export const host = defineHost({
  add: (a: number, b: number) => a + b,
  parse: (s: string) => JSON.parse(s),
  bytes: () => new Uint8Array([104, 105]),
  upload: async (data: AsyncIterable<Uint8Array>) => { let n = 0; for await (const c of data) n += c.length; return n },
  notes: new Notes(),
}).withEvents<{ tick: number }>()
export type Host = typeof host
`
const extension = `import type { Host } from './host'
import { createClient, isRpcError, RpcError } from 'nmrpc/client'
const client = createClient<Host>('com.acme.app')
export async function run(): Promise<number> {
  const sum: number = await client.call.add(1, 2)
  const parsed = await client.call.parse('{}')
  parsed.anything // any stays any, and is not a stream
  const b: Uint8Array = await client.call.bytes()
  const n: number = await client.call.upload(new ReadableStream<Uint8Array>())
  const notes: string[] = await client.call.notes.list()
  client.on('tick', (t: number) => void t)
  // @ts-expect-error: no such event
  client.on('nope', () => {})
  // @ts-expect-error: private fields are not reachable
  client.call.notes.db
  try { await client.call.add(1, 2) } catch (e) { if (isRpcError(e) || e instanceof RpcError) return e.code.length }
  return sum + b.length + n + notes.length
}
`
const tsconfig = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['*.ts'],
}

/** Copies a dependency's folder into the project, as npm would install it. */
function install(name: string): void {
  const dir = realpathSync(join(root, 'node_modules', name))
  cpSync(dir, join(project, 'node_modules', name), { recursive: true })
}

function typecheck(files: Record<string, string>): { status: number | null; out: string } {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text)
  const r = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

beforeAll(() => {
  // Under the OS temp folder, far from this repo's node_modules/@types.
  project = mkdtempSync(join(tmpdir(), 'nmrpc-consumer-'))
  const pkgDir = join(project, 'node_modules', 'nmrpc')
  mkdirSync(pkgDir, { recursive: true })
  // What npm would unpack from the tarball: the files npm pack lists.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Array<{ files: Array<{ path: string }> }>
  for (const f of packed[0]!.files) {
    mkdirSync(dirname(join(pkgDir, f.path)), { recursive: true })
    cpSync(join(root, f.path), join(pkgDir, f.path))
  }
  install('superjson')
  install('copy-anything')
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
})

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true })
})

describe('a consumer project without @types/node', () => {
  it('compiles `import type { Host }` with skipLibCheck false, and the types hold', () => {
    const r = typecheck({ 'host.ts': host, 'extension.ts': extension })
    expect(r.out).toBe('')
    expect(r.status).toBe(0)
  })

  it('really has no Node types (control: a host importing node:fs does not compile here)', () => {
    const r = typecheck({
      'host.ts': `import { readFileSync } from 'node:fs'\n${host}export const f = readFileSync\n`,
      'extension.ts': extension,
    })
    expect(r.status).not.toBe(0)
    expect(r.out).toMatch(/node:fs/)
  })
})
