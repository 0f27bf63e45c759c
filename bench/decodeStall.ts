/**
 * Decoding stalls (issue 15, class 1): the worst event-loop stall a peer can cause per MiB of message
 * through the codec's decoding, for adversarial superjson metadata next to a plain payload of the same
 * size. Each decode (JSON.parse + `codec.decode`, what a session does with a message on either end) is
 * synchronous, so its duration is the stall. The workloads are the shapes the decoder's work budget
 * guards against: paths into one Set (quadratic in superjson), one long path per leaf, a chain of shared
 * references (2^40 paths), and BigInts at the digit limit. A refused message (`BAD_REQUEST`) counts as
 * decoded: refusing it is the stall. Numbers are times, so they live here, not in tests (which count work).
 *
 *   node --import tsx bench/decodeStall.ts [--reps N] [--no-write]     (also: npm run bench -- --only stall)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { superjsonCodec } from '../src/shared/codec.js'
import { machineHeader } from './lib/report'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MiB = 1024 * 1024
const START = '<!-- stall:start (written by bench/decodeStall.ts; edits inside are overwritten) -->'
const END = '<!-- stall:end -->'
const HEADING = '## Decoding stalls: adversarial superjson metadata (node --import tsx bench/decodeStall.ts)'

const codec = superjsonCodec()

/** Message text (`{"r":...,"x":...}`) of about 1 MiB for each workload; the first is the baseline. */
const WORKLOADS: Array<[name: string, make: () => string]> = [
  [
    'plain JSON (no metadata), the baseline',
    () =>
      JSON.stringify({
        r: Array.from({ length: 17_000 }, (_, i) => ({ id: i, name: `item ${i}`, ok: true })),
      }),
  ],
  [
    'N paths into one Set',
    () => {
      const n = 60_000
      const eq: Record<string, string[]> = {}
      for (let i = 0; i < n; i++) eq[`0.${i}`] = [`1.${i}`]
      const r = [Array.from({ length: n }, () => ({})), Array.from({ length: n }, () => null)]
      return JSON.stringify({ r, x: { values: { 1: ['set'] }, referentialEqualities: eq, v: 1 } })
    },
  ],
  [
    'values tree: one long path per leaf',
    () => {
      const depth = 900
      const width = 90_000
      let tree: unknown = Object.fromEntries(
        Array.from({ length: width }, (_, i) => [String(i), ['undefined']]),
      )
      for (let i = 0; i < depth - 1; i++) tree = { 0: tree }
      const r = '['.repeat(depth) + Array(width).fill('null').join(',') + ']'.repeat(depth)
      return `{"r":${r},"x":${JSON.stringify({ values: tree, v: 1 })}}`
    },
  ],
  [
    '40-level chain of shared references, padded',
    () => {
      let node: Record<string, unknown> = { end: 'x'.repeat(MiB - 4096) }
      for (let i = 0; i < 40; i++) node = { l: node, r: node }
      const { json, meta } = codec.encode(node)
      return JSON.stringify({ r: json, x: meta })
    },
  ],
  [
    'BigInts at MAX_BIGINT_DIGITS',
    () => {
      const r = Array.from({ length: 250 }, () => '9'.repeat(4096))
      return JSON.stringify({
        r,
        x: { values: Object.fromEntries(r.map((_, i) => [String(i), ['bigint']])), v: 1 },
      })
    },
  ],
]

/** One workload's result. */
export interface StallRow {
  name: string
  mib: number
  /** Worst decode of the repetitions, in ms. */
  worstMs: number
  msPerMib: number
  /** What the decoder did with it: `decoded`, or the code it refused with. */
  outcome: string
}

/** Decodes `text` as a session would; returns what happened (never throws for a refusal). */
function decodeOnce(text: string): string {
  try {
    const msg = JSON.parse(text) as { r: unknown; x?: unknown }
    codec.decode(msg.r, msg.x)
    return 'decoded'
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return `refused (${typeof code === 'string' ? code : e instanceof Error ? e.name : 'error'})`
  }
}

/**
 * Runs every workload `reps` times after one warm-up (the first decode also pays for compiling the
 * decoder) and returns the rows and the markdown section for bench/RESULTS.md.
 *
 * @example
 * const { markdown } = measureDecodeStall({ reps: 5 })
 */
export function measureDecodeStall(o: { reps: number }): { rows: StallRow[]; markdown: string } {
  const rows: StallRow[] = []
  for (const [name, make] of WORKLOADS) {
    const text = make()
    let worst = 0
    let outcome = ''
    for (let i = 0; i <= o.reps; i++) {
      const t0 = performance.now()
      outcome = decodeOnce(text)
      if (i > 0) worst = Math.max(worst, performance.now() - t0)
    }
    const mib = Buffer.byteLength(text) / MiB
    const row = { name, mib, worstMs: worst, msPerMib: worst / mib, outcome }
    rows.push(row)
    process.stderr.write(`[stall] ${name}: ${row.msPerMib.toFixed(1)} ms/MiB, ${outcome}\n`)
  }
  const base = rows[0]!.msPerMib
  const worstAdversarial = Math.max(...rows.slice(1).map((r) => r.msPerMib))
  const lines = [
    HEADING,
    '',
    START,
    ...machineHeader(root),
    `- worst of ${o.reps} decodes (JSON.parse + codec.decode, after a warm-up) per workload, in one process`,
    '',
    '| message | size MiB | worst stall ms | ms per MiB | ratio to plain | outcome |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.mib.toFixed(2)} | ${r.worstMs.toFixed(1)} | ${r.msPerMib.toFixed(1)} | ` +
        `${(r.msPerMib / base).toFixed(2)}x | ${r.outcome} |`,
    ),
    '',
    `Worst adversarial stall: ${worstAdversarial.toFixed(1)} ms per MiB, ${(worstAdversarial / base).toFixed(1)}x a ` +
      'plain payload of the same size (before the work budget of issue 15: 13 s for 0.9 MiB of Set paths).',
    END,
  ]
  return { rows, markdown: lines.join('\n') }
}

/**
 * Puts `markdown` into `file` in place of the section between the stall markers, or appends it.
 *
 * @example
 * writeDecodeStall('bench/RESULTS.md', measureDecodeStall({ reps: 5 }).markdown)
 */
export function writeDecodeStall(file: string, markdown: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n'
  const heading = text.indexOf(HEADING)
  const end = text.indexOf(END)
  const next =
    heading >= 0 && end > heading
      ? text.slice(0, heading) + markdown + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n${markdown}\n`
  writeFileSync(file, next)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { reps: { type: 'string', default: '5' }, 'no-write': { type: 'boolean', default: false } },
  })
  const reps = Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps: "${values.reps}" is not a whole number >= 1.`)
  const { markdown } = measureDecodeStall({ reps })
  process.stdout.write(`${markdown}\n`)
  if (!values['no-write']) writeDecodeStall(join(root, 'bench', 'RESULTS.md'), markdown)
}
