/**
 * Instructions per small sequential call, load-independently: each side (the "browser" driver or the
 * host) runs under `valgrind --tool=callgrind` while the other runs outside it, once with N calls and
 * once with none; per call = (total at N - total at 0) / N. Callgrind's counts repeat exactly for the same
 * binary and inputs, so two builds compare on a busy machine where wall-clock timings cannot.
 *
 * Usage: npx tsx bench/callgrind.ts [--contenders raw,nmrpc,birpc] [--calls 2000] [--sides client,host]
 *          [--inflight 1] [--from 0] [--baseline-dist DIR] [--work .tmp]
 * `--from M`: per call = (total at N - total at M) / (N - M). With M > 0 the JIT's work on the hot path
 * (at N=2000 about half of nmrpc's count: TurboFan compiling it) mostly falls out, leaving the steady state.
 * `--inflight K`: the calls go K at a time (a new one as each ends), like the `inflight64` workload.
 * `--baseline-dist DIR`: adds contender `nmrpc-baseline`, the nmrpc adapter against another commit's
 * built dist/ (as `npm run bench` does), so that two builds compare in one run.
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
    inflight: { type: 'string', default: '1' },
    from: { type: 'string', default: '0' },
    'baseline-dist': { type: 'string' },
    work: { type: 'string', default: join(root, '.tmp') },
    workload: { type: 'string' },
    mib: { type: 'string', default: '4,20' },
  },
})
// Separate --work directories (inside the checkout, so that the bundles find its node_modules) let two
// runs go at once without bundling over each other.
const work = resolve(values.work)
const outDir = join(work, 'bench')
const baselineDir = join(work, 'bench-baseline')
const cgDir = join(work, 'callgrind')
const workload = values.workload
if (workload !== undefined && !['echo', 'binary', 'stream'].includes(workload))
  throw new Error(`callgrind: --workload must be echo, binary or stream, got "${workload}".`)
const [low, high] = values.mib.split(',').map(Number) as [number, number]
if (!(Number.isSafeInteger(low) && Number.isSafeInteger(high) && low >= 0 && high > low))
  throw new Error(
    `callgrind: --mib must be two whole numbers, low,high with high > low, got "${values.mib}".`,
  )
const contenders = values.contenders.split(',') as ContenderName[]
const baseline = values['baseline-dist']
if (baseline !== undefined && !contenders.includes('nmrpc-baseline')) {
  const at = contenders.indexOf('nmrpc')
  contenders.splice(at < 0 ? contenders.length : at + 1, 0, 'nmrpc-baseline')
}
if (contenders.includes('nmrpc-baseline') && baseline === undefined)
  throw new Error(
    'callgrind: contender nmrpc-baseline needs --baseline-dist <dir>, the built dist/ of another commit.',
  )
for (const name of contenders) {
  if (!CONTENDERS.includes(name))
    throw new Error(`callgrind: unknown contender "${name}"; use ${CONTENDERS.join(', ')}.`)
}
const calls = Number(values.calls)
if (!Number.isSafeInteger(calls) || calls < 1)
  throw new Error(`callgrind: --calls must be >= 1, got "${values.calls}".`)
const sides = values.sides.split(',')
const from = Number(values.from)
if (!Number.isSafeInteger(from) || from < 0 || from >= calls)
  throw new Error(`callgrind: --from must be a whole number below --calls, got "${values.from}".`)
const inflight = Number(values.inflight)
if (!Number.isSafeInteger(inflight) || inflight < 1)
  throw new Error(`callgrind: --inflight must be a whole number >= 1, got "${values.inflight}".`)

/** Total instructions (Ir) that callgrind wrote for the process it ran. */
function totalIr(file: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((text) => text.startsWith('totals:') || text.startsWith('summary:'))
  if (!line) throw new Error(`callgrind: no totals in ${file}; did valgrind finish?`)
  return Number(line.split(/\s+/)[1])
}

/**
 * A host under valgrind can take longer to exit than spawnHost's 2 s before it kills it (a busy machine),
 * and a killed callgrind writes no totals: such a run is tried again, up to 3 times.
 */
function run(contender: ContenderName, side: string, count: number): number {
  for (let attempt = 1; ; attempt++) {
    try {
      return runOnce(contender, side, count)
    } catch (e) {
      if (attempt >= 3 || !(e instanceof Error) || !e.message.includes('no totals')) throw e
      process.stderr.write(`callgrind: ${contender} ${side} N=${count} wrote no totals; trying again\n`)
    }
  }
}

function runOnce(contender: ContenderName, side: string, count: number): number {
  const file = join(cgDir, `${contender}-${side}-${workload ?? 'rtt'}-${count}-x${inflight}.out`)
  rmSync(file, { force: true })
  const valgrind = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${file}`]
  const dir = contender === 'nmrpc-baseline' ? baselineDir : outDir
  const driver = [join(dir, 'driver.mjs'), contender, workload ?? 'rtt', join(dir, 'hosts')]
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_INFLIGHT: String(inflight) }
  if (workload === undefined) env.BENCH_CALLS = String(count)
  else env.BENCH_MIB = String(count)
  const argv = side === 'client' ? [...valgrind, process.execPath, ...driver] : [process.execPath, ...driver]
  // BENCH_HOST_WRAP also tells the nmrpc adapters' spawnHost to give the host time to exit under valgrind.
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
if (baseline !== undefined) {
  mkdirSync(baselineDir, { recursive: true })
  if (!installSnapshot(root, baselineDir, resolve(baseline)))
    throw new Error(
      `callgrind: --baseline-dist "${baseline}" has no client, server and node entries; give the dist/ of a built checkout.`,
    )
  await bundleBench(join(root, 'bench'), baselineDir)
}
for (const contender of contenders) {
  for (const side of sides) {
    const [a, b] = workload === undefined ? [from, calls] : [low, high]
    const first = run(contender, side, a)
    const second = run(contender, side, b)
    const per = Math.round((second - first) / (b - a))
    const unit = workload === undefined ? `call, in flight ${inflight}` : `MiB ${workload}`
    process.stdout.write(`${contender}\t${side}\tN=${a} ${first}\tN=${b} ${second}\tper ${unit} ${per}\n`)
  }
}
