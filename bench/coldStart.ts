/**
 * Cold start of a built host (issue 13): spawn to first answer, side by side with a minimal hand-written
 * raw host (the baseline), the nmrpc host run from node_modules, the same host built by `nmrpc build` into
 * one bundle, and as a single executable. Each sample is a fresh process started by `spawnHost` (the
 * browser's framing and argv) that answers one `add(1, 2)`; the contenders take turns in every
 * repetition, so the load of the machine hits them alike. Target: bundle <= 1.05x raw (medians).
 *
 *   node --import tsx bench/coldStart.ts [--reps N] [--no-write]     (also: npm run bench -- --only cold)
 */
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildHost } from '../src/build/buildHost'
import { createClient } from '../src/client/index'
import { spawnHost } from '../src/node/index'
import type { BenchHost } from './hosts/nmrpc'
import { bundleBench, installSnapshot } from './lib/bundle'
import { machineHeader } from './lib/report'
import { fmt, summarize } from './lib/stats'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/'
const SAMPLE_TIMEOUT_MS = 30_000

type Kind = 'raw' | 'nmrpc' | 'bundle' | 'sea'
interface Contender {
  kind: Kind
  label: string
  command: string
  args: string[]
}

/** Milliseconds from spawning `c` to its answer to add(1, 2). */
async function sample(c: Contender): Promise<number> {
  const factory = spawnHost(c.command, c.args, { origin: ORIGIN, stderr: 'pipe' })
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
export async function measureColdStart(o: { outDir: string; reps: number }): Promise<ColdStartReport> {
  if (!Number.isInteger(o.reps) || o.reps < 1)
    throw new Error(`cold start: reps must be a whole number >= 1, got ${o.reps}.`)
  mkdirSync(o.outDir, { recursive: true })
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
    },
    {
      kind: 'nmrpc',
      label: 'nmrpc host, nmrpc from node_modules',
      command: process.execPath,
      args: [join(o.outDir, 'hosts/nmrpc.mjs')],
    },
    {
      kind: 'bundle',
      label: 'nmrpc build: bundle (.mjs)',
      command: process.execPath,
      args: [built.bundle.path],
    },
    { kind: 'sea', label: 'nmrpc build --sea: executable', command: built.sea!.path, args: [] },
  ]
  const samples = new Map<Kind, number[]>(contenders.map((c) => [c.kind, []]))
  for (let rep = 0; rep <= o.reps; rep++) {
    for (const c of contenders) {
      const ms = await sample(c)
      if (rep > 0) samples.get(c.kind)!.push(ms)
    }
    if (rep > 0)
      process.stderr.write(
        `[cold ${rep}/${o.reps}] ${contenders.map((c) => `${c.kind}=${samples.get(c.kind)!.at(-1)!.toFixed(1)}`).join(' ')}\n`,
      )
  }
  const raw = samples.get('raw')!
  const rawMedian = summarize(raw).median
  const lines = [
    '## Cold start of a built host (node --import tsx bench/coldStart.ts)',
    '',
    `<!-- cold:start (written by bench/coldStart.ts; edits inside are overwritten) -->`,
    ...machineHeader(root),
    `- ${o.reps} repetitions (after a warm-up round), contenders in turn; spawn (spawnHost, browser argv) to the answer of add(1, 2)`,
    `- sizes: bundle ${(built.bundle.bytes / 1024).toFixed(0)} KiB, executable ${(built.sea!.bytes / 1024 / 1024).toFixed(1)} MiB`,
    '',
    '| host | median ms (min-max) | ratio of medians to raw | paired ratio, median (min-max) |',
    '| --- | --- | --- | --- |',
  ]
  for (const c of contenders) {
    const s = summarize(samples.get(c.kind)!)
    const paired = summarize(samples.get(c.kind)!.map((v, i) => v / raw[i]!))
    lines.push(
      `| ${c.label} | ${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)}) | ${(s.median / rawMedian).toFixed(2)}x | ` +
        `${paired.median.toFixed(2)}x (${paired.min.toFixed(2)}-${paired.max.toFixed(2)}) |`,
    )
  }
  const bundleRatio = summarize(samples.get('bundle')!).median / rawMedian
  lines.push(
    '',
    `Target of issue 13: bundle <= 1.05x raw. This run: ${bundleRatio.toFixed(2)}x (${bundleRatio <= 1.05 ? 'met' : 'not met'}).`,
    '<!-- cold:end -->',
  )
  return { markdown: lines.join('\n') }
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
    options: { reps: { type: 'string', default: '15' }, 'no-write': { type: 'boolean', default: false } },
  })
  const reps = Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps: "${values.reps}" is not a whole number >= 1.`)
  measureColdStart({ outDir: join(root, '.tmp', 'bench-cold'), reps })
    .then(async ({ markdown }) => {
      process.stdout.write(`${markdown}\n`)
      if (!values['no-write']) await writeColdStart(join(root, 'bench', 'RESULTS.md'), markdown)
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
      process.exitCode = 1
    })
}
