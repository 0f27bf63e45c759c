/**
 * Paired A/B runs of one workload on a noisy machine: every repetition runs each variant once, in an order
 * that rotates per repetition, each in a fresh driver and host (as `npm run bench` does), and prints the
 * median (min-max) of every metric per variant and its ratio to the first variant paired per repetition.
 * A variant is a contender run against a built dist/ with extra environment, so that two builds (or one
 * build under two settings read from the environment) compare in the same minutes of load.
 *
 * Usage: npx tsx bench/ab.ts --workload inflight64 [--reps 7] [--quick]
 *          --variant raw=raw --variant before=nmrpc@/tmp/before/dist --variant after=nmrpc@dist[,K=V...]
 * A variant is `label=contender[@distDir][,ENV=value...]`; distDir defaults to this checkout's dist/.
 * `--quiet C`: before each run, wait (up to 30 s) until the whole machine has used less than C CPUs over
 * half a second (/proc/stat), so that runs start while other work on the machine pauses. Every run also
 * reports `machine_cpus`: how many CPUs the whole machine kept busy during it (ours included).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { DriverResult } from './driver'
import { bundleBench, installSnapshot } from './lib/bundle'
import type { ContenderName } from './lib/session'
import type { WorkloadId } from './lib/workloads'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'inflight64' },
    reps: { type: 'string', default: '7' },
    variant: { type: 'string', multiple: true, default: [] },
    quick: { type: 'boolean', default: false },
    quiet: { type: 'string' },
  },
})

interface Variant {
  label: string
  contender: ContenderName
  dir: string
  env: Record<string, string>
}

const dists = new Map<string, string>()
const variants: Variant[] = values.variant.map((spec) => {
  const m = /^([^=]+)=([a-z-]+)(?:@([^,]+))?((?:,[A-Za-z_][A-Za-z0-9_]*=[^,]*)*)$/.exec(spec)
  if (!m)
    throw new Error(
      `ab: --variant "${spec}" is not label=contender[@distDir][,ENV=value...]; e.g. a=nmrpc@dist`,
    )
  const dist = resolve(root, m[3] ?? 'dist')
  if (!dists.has(dist)) dists.set(dist, join(root, '.tmp', `ab-${dists.size}`))
  const env: Record<string, string> = {}
  for (const kv of (m[4] ?? '').split(',').filter(Boolean)) {
    const at = kv.indexOf('=')
    env[kv.slice(0, at)] = kv.slice(at + 1)
  }
  return { label: m[1]!, contender: m[2] as ContenderName, dir: dists.get(dist)!, env }
})
if (variants.length < 2) throw new Error('ab: give at least two --variant; the first is the reference.')

for (const [dist, dir] of dists) {
  mkdirSync(dir, { recursive: true })
  await bundleBench(join(root, 'bench'), dir)
  if (!installSnapshot(root, dir, dist))
    throw new Error(`ab: ${dist} has no built client/server/node entries.`)
}

/** Busy and total jiffies of all CPUs together, from /proc/stat. */
function cpuJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = f[3]! + f[4]!
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}
const CPUS = cpus().length
const machineCpus = (a: { busy: number; total: number }, b: { busy: number; total: number }) =>
  ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * CPUS

async function waitQuiet(limit: number): Promise<void> {
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    const a = cpuJiffies()
    await new Promise((resolve) => setTimeout(resolve, 500))
    if (machineCpus(a, cpuJiffies()) < limit) return
  }
}

async function run(v: Variant): Promise<DriverResult> {
  if (values.quiet !== undefined) await waitQuiet(Number(values.quiet))
  const before = cpuJiffies()
  const r = await runOnce(v)
  r.metrics.machine_cpus = machineCpus(before, cpuJiffies())
  return r
}

function runOnce(v: Variant): Promise<DriverResult> {
  const argv = [
    process.execPath,
    '--expose-gc',
    join(v.dir, 'driver.mjs'),
    v.contender,
    values.workload,
    join(v.dir, 'hosts'),
  ]
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
      env: { ...process.env, ...v.env, ...(values.quick ? { BENCH_QUICK: '1' } : {}) },
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t))
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.on('close', () => {
      clearTimeout(timer)
      let r: Partial<DriverResult> = {}
      try {
        r = JSON.parse(out.trim().split('\n').pop() ?? '')
      } catch {
        r = { error: `no result: ${out.slice(0, 200)}` }
      }
      done({ metrics: {}, contender: v.contender, workload: values.workload as WorkloadId, ...r })
    })
  })
}

const reps = Number(values.reps)
const results: Array<Array<Record<string, number>>> = variants.map(() => [])
const load0 = (await import('node:os')).loadavg()
for (let rep = 0; rep < reps; rep++) {
  for (let k = 0; k < variants.length; k++) {
    const i = (k + rep) % variants.length
    const r = await run(variants[i]!)
    if (r.error) throw new Error(`ab: ${variants[i]!.label} failed: ${r.error}`)
    results[i]![rep] = r.metrics
  }
  process.stderr.write(`rep ${rep + 1}/${reps}\n`)
}
const load1 = (await import('node:os')).loadavg()

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3)
const range = (xs: number[], f = fmt) => `${f(med(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`
console.log(
  `workload ${values.workload}, ${reps} reps, load ${load0.map((x) => x.toFixed(2)).join(' ')} -> ${load1.map((x) => x.toFixed(2)).join(' ')}`,
)
for (const key of Object.keys(results[0]![0]!)) {
  console.log(`\n${key}`)
  for (let i = 0; i < variants.length; i++) {
    const xs = results[i]!.map((m) => m[key]!)
    const ratios = results[i]!.map((m, rep) => m[key]! / results[0]![rep]![key]!)
    console.log(
      `  ${variants[i]!.label.padEnd(12)} ${range(xs).padEnd(28)} ratio ${range(ratios, (x) => `${x.toFixed(2)}x`)}`,
    )
  }
}
