/**
 * Cold start of a built host (issue 13): spawn to first answer, side by side with a minimal hand-written
 * raw host (the baseline), the nmrpc host run from node_modules, the same host built by `nmrpc build` into
 * one bundle, and as a single executable. Each sample is a fresh process started by `spawnHost` (the
 * browser's framing and argv) that answers one `add(1, 2)`; the contenders take turns in every
 * repetition, so the load of the machine hits them alike. Where valgrind is installed, each built host and
 * the raw host also run under callgrind (spawn to answer to exit, the same input): instruction counts do
 * not depend on the load, so the target (bundle and executable <= 1.05x raw) is judged on them; without
 * valgrind, on the paired ratio (each sample over the raw sample of its own repetition).
 *
 * Both built files compile their host with a V8 code cache that they write in the user's cache folder on
 * their first start (src/build/codeCache.ts): the "code cache made" rows are every start after that one
 * (the warm-up round makes the caches, in a cache folder of this run), the "first start" rows the same
 * files with the cache folder off (NMRPC_CODE_CACHE=0: nothing read or written, so the row leaves out the
 * writing a real first start does at its exit; the executable still takes the cache built into it, as a
 * real first start does).
 * Each callgrind run leaves out one function, V8's HashSeed::InitializeRoots: it searches primes from the
 * process's random hash seed, and took 5 to 25 M instructions per process at random (the same binary, the
 * same input: the whole spread of the old counts), which is not what any host costs. Left out of both the
 * host's count and the raw host's, it makes a ratio stricter, not looser (the same amount off both).
 * Every contender runs without NODE_EXTRA_CA_CERTS: where it is set (CI sandboxes), node parses that
 * certificate file on every start (416 M instructions here, 3x the raw host's whole start), which hides
 * what the hosts themselves cost; a browser-started host on a user's machine rarely has it.
 *
 *   node --import tsx bench/coldStart.ts [--reps N] [--no-write] [--no-valgrind]
 *   (also: npm run bench -- --only cold; at least MIN_REPS repetitions whatever --reps says)
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildHost } from '../src/build/buildHost'
import { createClient } from '../src/client/index'
import { spawnHost } from '../src/node/index'
import type { BenchHost } from './hosts/nmrpc'
import { bundleBench, installSnapshot } from './lib/bundle'
import { encodeFrame } from './lib/framing'
import { machineHeader } from './lib/report'
import { fmt, summarize } from './lib/stats'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/'
const SAMPLE_TIMEOUT_MS = 30_000
/** Wall-clock ratios of ~100 ms processes on a loaded machine need this many pairs to settle. */
const MIN_REPS = 21
/** Callgrind runs per contender (median); without the hash-seed search, the counts of one binary differ by <1%. */
const INSTRUCTION_RUNS = 3
/** Callgrind leaves this function out (see the header); the order of the two options matters. */
const LEFT_OUT = ['--toggle-collect=v8::internal::HashSeed::InitializeRoots*', '--collect-atstart=yes']
const TARGET = 1.05

type Kind = 'raw' | 'nmrpc' | 'bundle' | 'bundle-first' | 'sea' | 'sea-first'
interface Contender {
  kind: Kind
  label: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
}

/** This process's environment as a user's machine has it (see the header), the cache folder in `outDir`. */
function hostEnv(outDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(outDir, 'cache'), ...extra }
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

/** Milliseconds from spawning `c` to its answer to add(1, 2). */
async function sample(c: Contender): Promise<number> {
  const factory = spawnHost(c.command, c.args, { origin: ORIGIN, stderr: 'pipe', env: c.env })
  const began = performance.now()
  if (c.kind === 'raw') {
    const port = factory()
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`${c.label}: no answer in 30 s`)), SAMPLE_TIMEOUT_MS)
        port.onMessage.addListener(() => {
          clearTimeout(timer)
          done()
        })
        port.onDisconnect.addListener(() => fail(new Error(`${c.label} exited before answering`)))
        port.postMessage({ id: 1, m: 'add', a: [1, 2] })
      })
      return performance.now() - began
    } finally {
      port.disconnect()
    }
  }
  const client = createClient<BenchHost>(factory, { timeout: SAMPLE_TIMEOUT_MS })
  try {
    const sum = await client.call.add(1, 2)
    if (sum !== 3) throw new Error(`${c.label} answered ${sum} to add(1, 2)`)
    return performance.now() - began
  } finally {
    client.close()
  }
}

export interface ColdStartReport {
  markdown: string
}

/**
 * Builds the contenders under `outDir` and measures them `reps` times (after one discarded warm-up round).
 * Returns the markdown section for RESULTS.md.
 *
 * @example
 * const { markdown } = await measureColdStart({ outDir: '.tmp/bench-cold', reps: 15 })
 */
export async function measureColdStart(o: {
  outDir: string
  reps: number
  valgrind?: boolean
}): Promise<ColdStartReport> {
  if (!Number.isInteger(o.reps) || o.reps < 1)
    throw new Error(`cold start: reps must be a whole number >= 1, got ${o.reps}.`)
  const reps = Math.max(o.reps, MIN_REPS)
  mkdirSync(o.outDir, { recursive: true })
  rmSync(join(o.outDir, 'cache'), { recursive: true, force: true })
  const env = hostEnv(o.outDir)
  if (!installSnapshot(root, o.outDir)) throw new Error('dist/ is missing: run npm run build first.')
  await bundleBench(join(root, 'bench'), o.outDir)
  process.stderr.write('cold start: building the bench host with nmrpc build --sea\n')
  const built = await buildHost({
    entry: join(root, 'bench/hosts/nmrpc.ts'),
    name: 'com.nmrpc.bench.cold',
    extensionIds: [ORIGIN],
    out: join(o.outDir, 'built'),
    sea: true,
  })
  const contenders: Contender[] = [
    {
      kind: 'raw',
      label: 'raw host (baseline)',
      command: process.execPath,
      args: [join(o.outDir, 'hosts/raw.mjs')],
      env,
    },
    {
      kind: 'nmrpc',
      label: 'nmrpc host, nmrpc from node_modules',
      command: process.execPath,
      args: [join(o.outDir, 'hosts/nmrpc.mjs')],
      env,
    },
    {
      kind: 'bundle',
      label: 'nmrpc build: bundle (.mjs), code cache made',
      command: process.execPath,
      args: [built.bundle.path],
      env,
    },
    {
      kind: 'bundle-first',
      label: 'nmrpc build: bundle (.mjs), first start (no code cache)',
      command: process.execPath,
      args: [built.bundle.path],
      env: hostEnv(o.outDir, { NMRPC_CODE_CACHE: '0' }),
    },
    {
      kind: 'sea',
      label: 'nmrpc build --sea: executable, code cache made',
      command: built.sea!.path,
      args: [],
      env,
    },
    {
      kind: 'sea-first',
      label: 'nmrpc build --sea: executable, first start (only the code cache built in)',
      command: built.sea!.path,
      args: [],
      env: hostEnv(o.outDir, { NMRPC_CODE_CACHE: '0' }),
    },
  ]
  const samples = new Map<Kind, number[]>(contenders.map((c) => [c.kind, []]))
  for (let rep = 0; rep <= reps; rep++) {
    for (const c of contenders) {
      const ms = await sample(c)
      if (rep > 0) samples.get(c.kind)!.push(ms)
    }
    if (rep > 0)
      process.stderr.write(
        `[cold ${rep}/${reps}] ${contenders.map((c) => `${c.kind}=${samples.get(c.kind)!.at(-1)!.toFixed(1)}`).join(' ')}\n`,
      )
  }
  const instructions =
    o.valgrind !== false && hasValgrind() ? measureInstructions(contenders, o.outDir) : undefined
  const raw = samples.get('raw')!
  const rawMedian = summarize(raw).median
  const rawIr = instructions?.get('raw')
  const lines = [
    '## Cold start of a built host (node --import tsx bench/coldStart.ts)',
    '',
    `<!-- cold:start (written by bench/coldStart.ts; edits inside are overwritten) -->`,
    ...machineHeader(root),
    `- ${reps} repetitions (after a warm-up round), contenders in turn; spawn (spawnHost, browser argv) to the answer of add(1, 2)`,
    `- paired ratio: each sample over the raw host's sample of the same repetition (the load hits both alike)`,
    instructions
      ? `- instructions: valgrind --tool=callgrind, spawn to answer to exit (the same framed input on stdin), median of ${INSTRUCTION_RUNS} runs; load-independent; V8's hash-seed prime search left out (random, 5-25 M per process: see bench/coldStart.ts)`
      : '- instructions: not measured (valgrind is not installed, or --no-valgrind)',
    "- environment of every host: this one without NODE_EXTRA_CA_CERTS (see bench/coldStart.ts); the built hosts' code caches in a folder of this run, made by the warm-up round",
    `- sizes: bundle ${(built.bundle.bytes / 1024).toFixed(0)} KiB, executable ${(built.sea!.bytes / 1024 / 1024).toFixed(1)} MiB`,
    '',
    '| host | median ms (min-max) | ratio of medians to raw | paired ratio, median (min-max) | instructions (ratio to raw) |',
    '| --- | --- | --- | --- | --- |',
  ]
  const verdicts: string[] = []
  for (const c of contenders) {
    const s = summarize(samples.get(c.kind)!)
    const paired = summarize(samples.get(c.kind)!.map((v, i) => v / raw[i]!))
    const ir = instructions?.get(c.kind)
    const irCell = ir && rawIr ? `${(ir / 1e6).toFixed(0)} M (${(ir / rawIr).toFixed(3)}x)` : '-'
    lines.push(
      `| ${c.label} | ${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)}) | ${(s.median / rawMedian).toFixed(2)}x | ` +
        `${paired.median.toFixed(2)}x (${paired.min.toFixed(2)}-${paired.max.toFixed(2)}) | ${irCell} |`,
    )
    if (c.kind === 'raw' || c.kind === 'nmrpc') continue
    // The stable measure decides: instructions where valgrind ran, else the paired median.
    const [ratio, by] =
      ir && rawIr ? [ir / rawIr, 'instructions'] : [paired.median, 'paired wall clock, median']
    verdicts.push(`${c.kind} ${ratio.toFixed(3)}x by ${by} (${ratio <= TARGET ? 'met' : 'not met'})`)
  }
  lines.push(
    '',
    `Target of issue 13: a built host <= ${TARGET}x raw. This run: ${verdicts.join('; ')}.`,
    '<!-- cold:end -->',
  )
  return { markdown: lines.join('\n') }
}

function hasValgrind(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Instructions from spawn to exit of each contender but the one run from node_modules (its cost is the
 * module resolution, which wall clock shows): the browser's argv, one call on stdin, then end of input,
 * on which every host exits. Median of INSTRUCTION_RUNS runs.
 */
function measureInstructions(contenders: Contender[], outDir: string): Map<Kind, number> {
  const frame = (message: unknown) => encodeFrame(JSON.stringify(message))
  const input: Record<'raw' | 'nmrpc', Buffer> = {
    raw: frame({ id: 1, m: 'add', a: [1, 2] }),
    // What createClient sends first: its hello, then the call without waiting (PROTOCOL.md).
    nmrpc: Buffer.concat([
      frame({ t: 'hello', v: 1, impl: 'nmrpc/bench', f: ['str'] }),
      frame({ t: 'call', id: 1, p: 'add', a: [1, 2] }),
    ]),
  }
  const counts = new Map<Kind, number>()
  const file = join(outDir, 'callgrind.out')
  for (const c of contenders) {
    if (c.kind === 'nmrpc') continue
    const runs: number[] = []
    for (let i = 0; i < INSTRUCTION_RUNS; i++) {
      process.stderr.write(`cold start: callgrind ${c.kind} ${i + 1}/${INSTRUCTION_RUNS}\n`)
      rmSync(file, { force: true })
      const r = spawnSync(
        'valgrind',
        ['--tool=callgrind', ...LEFT_OUT, `--callgrind-out-file=${file}`, c.command, ...c.args, ORIGIN],
        {
          input: input[c.kind === 'raw' ? 'raw' : 'nmrpc'],
          stdio: ['pipe', 'pipe', 'pipe'],
          env: c.env,
          timeout: 600_000,
        },
      )
      const answered = r.stdout?.includes(c.kind === 'raw' ? '"r":3' : '"t":"ok","id":1,"r":3')
      if (r.status !== 0 || !answered)
        throw new Error(
          `cold start: ${c.label} under callgrind did not answer add(1, 2) and exit 0 (status ${r.status}): ` +
            `${String(r.stderr).slice(-500)}. Run with --no-valgrind to skip the instruction counts.`,
        )
      const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'))
      if (!total) throw new Error(`cold start: no instruction total in ${file} (callgrind output changed?).`)
      runs.push(Number(total[1]))
    }
    counts.set(c.kind, summarize(runs).median)
  }
  rmSync(file, { force: true })
  return counts
}

/** Puts `markdown` into RESULTS.md between the cold-start markers, or appends it. */
export async function writeColdStart(file: string, markdown: string): Promise<void> {
  const { existsSync, readFileSync, writeFileSync } = await import('node:fs')
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n'
  const heading = text.indexOf('## Cold start of a built host')
  const end = text.indexOf('<!-- cold:end -->')
  const next =
    heading >= 0 && end > heading
      ? text.slice(0, heading) + markdown + text.slice(end + '<!-- cold:end -->'.length)
      : `${text.trimEnd()}\n\n${markdown}\n`
  writeFileSync(file, next)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: String(MIN_REPS) },
      'no-write': { type: 'boolean', default: false },
      'no-valgrind': { type: 'boolean', default: false },
    },
  })
  const reps = Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps: "${values.reps}" is not a whole number >= 1.`)
  measureColdStart({ outDir: join(root, '.tmp', 'bench-cold'), reps, valgrind: !values['no-valgrind'] })
    .then(async ({ markdown }) => {
      process.stdout.write(`${markdown}\n`)
      if (!values['no-write']) await writeColdStart(join(root, 'bench', 'RESULTS.md'), markdown)
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
      process.exitCode = 1
    })
}
