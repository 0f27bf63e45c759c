/**
 * Instructions per small sequential call, load-independently: each side (the "browser" driver or the
 * host) runs under `valgrind --tool=callgrind` while the other runs outside it, once with N calls and
 * once with none; per call = (total at N - total at 0) / N. Callgrind's counts repeat exactly for the same
 * binary and inputs, so two builds compare on a busy machine where wall-clock timings cannot.
 *
 * Usage: npx tsx bench/callgrind.ts [--contenders raw,nmrpc,birpc] [--calls 2000] [--sides client,host]
 * Bundles the driver and hosts and snapshots dist/ like `npm run bench` (run `npm run build` first).
 * Takes about a minute per (contender, side) pair.
 *
 * Large messages: `--workload echo|binary|stream [--mib 4,20]` counts instructions per MiB instead, from
 * two runs that move 4 and 20 MiB (BENCH_MIB in the driver): per MiB = (total at 20 - total at 4) / 16,
 * so start-up and the JIT's first compiles cancel out. `--baseline-dist DIR` adds contender
 * `nmrpc-baseline`, the nmrpc adapter against another commit's built dist/ (as in `npm run bench`).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleBench, installSnapshot } from './lib/bundle'
import { CONTENDERS, type ContenderName } from './lib/session'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const { values } = parseArgs({
  options: {
    contenders: { type: 'string', default: 'raw,nmrpc,birpc' },
    calls: { type: 'string', default: '2000' },
    sides: { type: 'string', default: 'client,host' },
    workload: { type: 'string' },
    mib: { type: 'string', default: '4,20' },
    'baseline-dist': { type: 'string' },
    /** Where the bundles and counts go, so that two counts can run at once without sharing files. */
    dir: { type: 'string', default: '.tmp' },
  },
})
const outDir = resolve(root, values.dir, 'bench')
const cgDir = resolve(root, values.dir, 'callgrind')
const workload = values.workload
if (workload !== undefined && !['echo', 'binary', 'stream'].includes(workload))
  throw new Error(`callgrind: --workload must be echo, binary or stream, got "${workload}".`)
const [low, high] = values.mib.split(',').map(Number) as [number, number]
if (!(Number.isSafeInteger(low) && Number.isSafeInteger(high) && low >= 0 && high > low))
  throw new Error(
    `callgrind: --mib must be two whole numbers, low,high with high > low, got "${values.mib}".`,
  )
const baselineDir = resolve(root, values.dir, 'callgrind-baseline')
const contenders = values.contenders.split(',') as ContenderName[]
for (const name of contenders) {
  if (!CONTENDERS.includes(name))
    throw new Error(`callgrind: unknown contender "${name}"; use ${CONTENDERS.join(', ')}.`)
}
const calls = Number(values.calls)
if (!Number.isSafeInteger(calls) || calls < 1)
  throw new Error(`callgrind: --calls must be >= 1, got "${values.calls}".`)
const sides = values.sides.split(',')

/** Total instructions (Ir) that callgrind wrote for the process it ran. */
function totalIr(file: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((text) => text.startsWith('totals:') || text.startsWith('summary:'))
  if (!line) throw new Error(`callgrind: no totals in ${file}; did valgrind finish?`)
  return Number(line.split(/\s+/)[1])
}

function run(contender: ContenderName, side: string, count: number): number {
  const file = join(cgDir, `${contender}-${side}-${workload ?? 'rtt'}-${count}.out`)
  rmSync(file, { force: true })
  const valgrind = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${file}`]
  const dir = contender === 'nmrpc-baseline' ? baselineDir : outDir
  const driver = [join(dir, 'driver.mjs'), contender, workload ?? 'rtt', join(dir, 'hosts')]
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (workload === undefined) env.BENCH_CALLS = String(count)
  else env.BENCH_MIB = String(count)
  const argv = side === 'client' ? [...valgrind, process.execPath, ...driver] : [process.execPath, ...driver]
  if (side === 'host') env.BENCH_HOST_WRAP = JSON.stringify(valgrind)
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: root, env, encoding: 'utf8', timeout: 600_000 })
  if (result.status !== 0)
    throw new Error(`callgrind: ${contender} ${side} N=${count} failed: ${result.stdout}${result.stderr}`)
  return totalIr(file)
}

mkdirSync(cgDir, { recursive: true })
if (!installSnapshot(root, outDir))
  throw new Error('callgrind: dist/ is incomplete; run `npm run build` first.')
await bundleBench(join(root, 'bench'), outDir)
if (values['baseline-dist'] !== undefined) {
  mkdirSync(baselineDir, { recursive: true })
  if (!installSnapshot(root, baselineDir, resolve(values['baseline-dist'])))
    throw new Error(
      `callgrind: --baseline-dist "${values['baseline-dist']}" has no built client, server and node.`,
    )
  await bundleBench(join(root, 'bench'), baselineDir)
  if (!contenders.includes('nmrpc-baseline')) contenders.push('nmrpc-baseline')
}
for (const contender of contenders) {
  for (const side of sides) {
    const [a, b] = workload === undefined ? [0, calls] : [low, high]
    const first = run(contender, side, a)
    const second = run(contender, side, b)
    const per = Math.round((second - first) / (b - a))
    const unit = workload === undefined ? 'call' : `MiB ${workload}`
    process.stdout.write(`${contender}\t${side}\tN=${a} ${first}\tN=${b} ${second}\tper ${unit} ${per}\n`)
  }
}
