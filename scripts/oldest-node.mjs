// Smoke-tests the built package (dist/) on the oldest Node that package.json's `engines` allows, with a
// real Node binary from the npm registry (the `node-<platform>-<arch>` package, fetched with `npm pack`
// and cached in node_modules/.cache/nmrpc-oldest-node, or in $NMRPC_NODE_CACHE). A CommonJS consumer and
// an ESM consumer each require/import all three entry points and make real calls to a host that the same
// old Node runs, through spawnHost's real stdio framing. Run by .ci/run; `npm run test:oldest-node`.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

const range = pkg.engines?.node ?? ''
const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim())
if (!m) {
  console.error(`oldest-node: engines.node is "${range}"; this script understands only ">=X[.Y[.Z]]"`)
  process.exit(1)
}
const version = `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`
const os = process.platform === 'win32' ? 'win' : process.platform
const binaryPackage = `node-${os}-${process.arch}`
const cache = process.env.NMRPC_NODE_CACHE ?? join(root, 'node_modules', '.cache', 'nmrpc-oldest-node')
const home = join(cache, `${binaryPackage}-${version}`)
const node = join(home, 'package', 'bin', process.platform === 'win32' ? 'node.exe' : 'node')

if (!existsSync(join(root, 'dist', 'client', 'index.cjs'))) {
  console.error('oldest-node: dist/ is missing; run `npm run build` first')
  process.exit(1)
}

if (!existsSync(node)) {
  mkdirSync(home, { recursive: true })
  console.log(`oldest-node: fetching ${binaryPackage}@${version} from the npm registry into ${home}`)
  const out = execFileSync(
    'npm',
    ['pack', `${binaryPackage}@${version}`, '--pack-destination', home, '--json', '--ignore-scripts'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const tarball = join(home, JSON.parse(out)[0].filename)
  execFileSync('tar', ['-xzf', tarball, '-C', home], { stdio: 'inherit' })
  rmSync(tarball)
}
const reported = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
if (reported !== `v${version}`) {
  console.error(`oldest-node: ${node} says ${reported}, expected v${version}; delete ${home} and retry`)
  process.exit(1)
}

// A consumer project with nmrpc in node_modules (a link to this package, as `npm link` makes it).
const project = mkdtempSync(join(tmpdir(), 'nmrpc-oldest-node-'))
mkdirSync(join(project, 'node_modules'))
symlinkSync(root, join(project, 'node_modules', 'nmrpc'), 'dir')

const hostCjs = `
const { defineHost, RpcError } = require('nmrpc/server')
defineHost({
  add: (a, b) => a + b,
  later: (d) => new Date(d.getTime() + 1000),
  async *count(n) { for (let i = 0; i < n; i++) yield i },
  fail: () => { throw new RpcError('NOPE', 'refused on purpose') },
}).listen()
`
// The same smoke, as CommonJS and as ESM: load all entry points, call a host (the old Node runs it too).
const smoke = (load) => `
${load}
const assert = (ok, what) => { if (!ok) { console.error('FAILED: ' + what); process.exit(1) } }
async function main() {
  assert(typeof server.defineHost === 'function', 'nmrpc/server exports defineHost')
  const small = core.createClient(spawnHost(process.execPath, [hostFile]), { codec: core.jsonCodec() })
  assert((await small.call.add(2, 3)) === 5, 'nmrpc/client/core: add(2, 3) is 5')
  small.close()
  const client = createClient(spawnHost(process.execPath, [hostFile]))
  assert((await client.call.add(2, 3)) === 5, 'add(2, 3) is 5')
  const d = await client.call.later(new Date(0))
  assert(d instanceof Date && d.getTime() === 1000, 'a Date crosses through superjson')
  const items = []
  for await (const i of client.call.count(3)) items.push(i)
  assert(items.join() === '0,1,2', 'a stream of 3 items')
  const e = await client.call.fail().then(() => null, (err) => err)
  assert(e instanceof RpcError && e.code === 'NOPE', 'the remote error arrives as an RpcError with its code')
  client.close()
  console.log('ok: ' + process.version + ' ' + kind)
}
main().catch((err) => { console.error(err); process.exit(1) })
`
writeFileSync(join(project, 'host.cjs'), hostCjs)
writeFileSync(
  join(project, 'smoke.cjs'),
  smoke(`const kind = 'CommonJS'
const { createClient, RpcError } = require('nmrpc/client')
const server = require('nmrpc/server')
const core = require('nmrpc/client/core')
const { spawnHost } = require('nmrpc/node')
const hostFile = require('node:path').join(__dirname, 'host.cjs')`),
)
writeFileSync(
  join(project, 'smoke.mjs'),
  smoke(`const kind = 'ESM'
import { createClient, RpcError } from 'nmrpc/client'
import * as server from 'nmrpc/server'
import * as core from 'nmrpc/client/core'
import { spawnHost } from 'nmrpc/node'
const hostFile = new URL('./host.cjs', import.meta.url).pathname`),
)

let failed = 0
for (const file of ['smoke.cjs', 'smoke.mjs']) {
  const r = spawnSync(node, [file], { cwd: project, encoding: 'utf8', timeout: 60_000 })
  process.stdout.write(r.stdout)
  if (r.status !== 0) {
    failed++
    console.error(
      `oldest-node: ${file} failed on Node ${version} (exit ${r.status}, ${r.signal ?? 'no signal'}):`,
    )
    console.error(r.stderr)
  }
}
rmSync(project, { recursive: true, force: true })
if (failed) process.exit(1)
console.log(`oldest-node: the built package works on Node ${version}, CommonJS and ESM`)
