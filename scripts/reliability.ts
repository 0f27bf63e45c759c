/**
 * Regenerates RELIABILITY.md: runs the property tests, the fault and leak tests, the protocol and session
 * tests and the integration tests with vitest's JSON reporter, then the soak in full mode (1,000,000 calls,
 * 1 GiB streamed), and writes what was tried and how it came out as tables.
 *
 *   npm run reliability            (or: node --import tsx scripts/reliability.ts)
 *
 * Exits 1 if any test failed; RELIABILITY.md is written either way, failures included.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as limits from '../src/shared/limits.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'nmrpc-reliability-'))
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')

interface AssertionResult {
  ancestorTitles: string[]
  title: string
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo'
  duration?: number | null
  failureMessages?: string[]
}
interface FileResult {
  name: string
  status: string
  assertionResults: AssertionResult[]
}
interface Report {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  testResults: FileResult[]
}

/** Runs vitest on `files` with the JSON reporter; returns the report (vitest's exit code is in it). */
function runVitest(files: string[], env: NodeJS.ProcessEnv = {}): { report: Report; seconds: number } {
  const out = join(tmp, `report-${Date.now()}.json`)
  const started = Date.now()
  console.error(`reliability: vitest run ${files.map((f) => relative(root, f)).join(' ')}`)
  spawnSync(
    process.execPath,
    [vitest, 'run', '--project', 'unit', '--reporter=json', `--outputFile=${out}`, ...files],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const report = JSON.parse(readFileSync(out, 'utf8')) as Report
  return { report, seconds: Math.round((Date.now() - started) / 1000) }
}

const testFiles = (dir: string, except: string[] = []) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.ts') && !except.includes(f))
    .sort()
    .map((f) => join(root, dir, f))

const unitFiles = testFiles('test/unit')
const faultFiles = testFiles('test/faults', ['soak.test.ts'])
// The protocol, session and limit tests, and the integration tests over real processes (those present).
const otherFiles = [
  ...['test/protocol.test.ts', 'test/session.test.ts', 'test/limits.test.ts']
    .map((f) => join(root, f))
    .filter((f) => existsSync(f)),
  ...testFiles('test/integration'),
]

const main = runVitest([...unitFiles, ...faultFiles, ...otherFiles])
const soakOut = join(tmp, 'soak.json')
const soak = runVitest([join(root, 'test/faults/soak.test.ts')], {
  NMRPC_SOAK: 'full',
  NMRPC_SOAK_OUT: soakOut,
})
let soakFigures: Record<string, unknown> | null = null
try {
  soakFigures = JSON.parse(readFileSync(soakOut, 'utf8')) as Record<string, unknown>
} catch {
  soakFigures = null
}

const rel = (f: string) => relative(root, f)
const byFile = new Map(main.report.testResults.map((r) => [rel(r.name), r]))
const mark = (status: string) => (status === 'passed' ? 'pass' : status === 'failed' ? '**FAIL**' : status)
const fileStatus = (file: string) => {
  const r = byFile.get(file)
  if (!r) return 'not run'
  const failed = r.assertionResults.filter((a) => a.status === 'failed').length
  return failed
    ? `**${failed} FAILED** of ${r.assertionResults.length}`
    : `pass (${r.assertionResults.length} tests)`
}
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

// ---- generated inputs: the fast-check run counts, read from each property test's source -------------------
const scale = Number(process.env.NMRPC_FC_SCALE ?? '1')
const inputRows: string[] = []
let totalInputs = 0
for (const file of unitFiles) {
  const text = readFileSync(file, 'utf8')
  const counts = [...text.matchAll(/runs\(([\d_]+)\)/g)].map((m) => Number(m[1]!.replace(/_/g, '')))
  if (counts.length === 0) continue
  const inputs = counts.reduce((a, b) => a + Math.max(1, Math.round(b * (scale > 0 ? scale : 1))), 0)
  totalInputs += inputs
  inputRows.push(
    `| \`${rel(file)}\` | ${counts.length} | ${inputs.toLocaleString('en')} | ${fileStatus(rel(file))} |`,
  )
}

// ---- faults and hostile input: every test of test/faults, by file -----------------------------------------
const faultRows: string[] = []
for (const file of faultFiles) {
  const r = byFile.get(rel(file))
  for (const a of r?.assertionResults ?? []) {
    const what = [...a.ancestorTitles, a.title].join(': ')
    faultRows.push(`| \`${rel(file).replace('test/faults/', '')}\` | ${cell(what)} | ${mark(a.status)} |`)
  }
}

// ---- limits: the named constants, and the test that exercises each at its boundary ------------------------
const limitDocs = new Map<string, string>()
{
  const text = readFileSync(join(root, 'src/shared/limits.ts'), 'utf8')
  // The JSDoc right before each `export const` (a doc block never contains `*/`).
  for (const m of text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export const (\w+)/g))
    limitDocs.set(m[2]!, m[1]!.replace(/\s*\n\s*\*\s?/g, ' ').trim())
}
/** Where each limit is exercised at (or past) its boundary: [test file, words of the test's title]. */
const boundaryTests: Record<string, Array<[string, string]>> = {
  BROWSER_INBOUND_LIMIT: [
    ['test/integration/core.test.ts', 'writes a message over 1 MiB'],
    ['test/faults/hostileInput.test.ts', 'never a frame over 1 MiB'],
  ],
  DEFAULT_MAX_REASSEMBLED_BYTES: [
    ['test/integration/streams.test.ts', 'past the reassembly limit'],
    ['test/integration/streams.test.ts', 'past the host reassembly limit'],
  ],
  DEFAULT_TIMEOUT: [['test/faults/stuckEnds.test.ts', 'times out on the client']],
  DEFAULT_STREAM_WINDOW: [['test/faults/stuckEnds.test.ts', 'stops at the credit window']],
  DEFAULT_MAX_PENDING_CALLS: [['test/session.test.ts', 'past maxPendingCalls']],
  DEFAULT_MAX_FRAME_IN: [
    ['test/faults/hostileInput.test.ts', 'just over the 64 MiB limit'],
    ['test/faults/hostileInput.test.ts', 'a 4 GiB length header'],
  ],
  DEFAULT_CLOSE_GRACE: [['test/faults/brokenPipes.test.ts', 'within its close grace']],
  MAX_BATCH: [['test/faults/hostileInput.test.ts', 'oversized batch is refused']],
  DEFAULT_MAX_MESSAGE_BYTES: [
    ['test/session.test.ts', 'each batch under the size limit'],
    ['test/session.test.ts', 'when some are chunked'],
  ],
  MAX_STREAM_ARGS: [['test/faults/hostileInput.test.ts', 'PROTOCOL_ERROR where a call had an id']],
  DEFAULT_MAX_CONCURRENT_CALLS: [['test/limits.test.ts', 'runs at most maxConcurrentCalls']],
  DEFAULT_MAX_QUEUED_CALLS: [['test/limits.test.ts', 'past maxQueuedCalls']],
  DEFAULT_MAX_STREAMS: [['test/limits.test.ts', 'past maxStreams']],
  DEFAULT_MAX_DEPTH: [['test/limits.test.ts', 'nested exactly maxDepth deep']],
}
const findTest = (file: string, words: string) =>
  byFile.get(file)?.assertionResults.find((a) => [...a.ancestorTitles, a.title].join(' ').includes(words))
const limitRows = Object.entries(limits)
  .filter(([, v]) => typeof v === 'number')
  .map(([name, value]) => {
    const tests = (boundaryTests[name] ?? []).map(([file, words]) => {
      const a = findTest(file, words)
      return a ? `\`${file}\` "${cell(a.title)}": ${mark(a.status)}` : `\`${file}\` "${words}": not found`
    })
    return `| \`${name}\` | ${(value as number).toLocaleString('en')} | ${cell(limitDocs.get(name) ?? '')} | ${tests.join('<br>') || 'no boundary test yet'} |`
  })

// ---- soak ------------------------------------------------------------------------------------------------
const soakStatus = soak.report.numFailedTests === 0 && soak.report.numPassedTests > 0 ? 'pass' : '**FAIL**'
const soakLines: string[] = []
if (soakFigures) {
  const f = soakFigures as {
    calls: number
    streamBytes: number
    wrongResults: number
    callsPerSecond: number
    streamMiBPerSecond: number
    seconds: number
    start: Record<string, number>
    afterCalls: Record<string, number>
    end: Record<string, number>
    growthMiB: Record<string, number>
  }
  soakLines.push(
    `${f.calls.toLocaleString('en')} small calls (256 in flight, every result checked: ${f.wrongResults} wrong) ` +
      `at ${f.callsPerSecond.toLocaleString('en')} calls/s, then ${f.streamBytes / 1048576} MiB streamed in 256 KiB ` +
      `items at ${f.streamMiBPerSecond} MiB/s, all through one session, ${f.seconds} s in all. Memory after a full ` +
      'garbage collection on each side (MiB):',
    '',
    '| when | client heap | client RSS | host heap | host RSS |',
    '|---|---:|---:|---:|---:|',
  )
  for (const [when, m] of [
    ['start (after warm-up)', f.start],
    ['after the calls', f.afterCalls],
    ['end (after the stream)', f.end],
  ] as const)
    soakLines.push(
      `| ${when} | ${m.clientHeapMiB} | ${m.clientRssMiB} | ${m.hostHeapMiB} | ${m.hostRssMiB} |`,
    )
  const g = f.growthMiB
  soakLines.push(
    `| **growth** | ${g.clientHeap} | ${g.clientRss} | ${g.hostHeap} | ${g.hostRss} |`,
    '',
    `Asserted: heap growth under 32 MiB and RSS growth under 192 MiB on each side. Result: ${soakStatus}.`,
  )
} else {
  soakLines.push(`The soak wrote no figures. Result: ${soakStatus}.`)
}

/** Terminal colour codes in vitest's failure messages (built from a string: biome forbids \x1b in a literal). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')

// ---- failures: what failed, with the first lines of the message, so a red run is readable here -------------
const failureLines: string[] = []
for (const [label, report] of [
  ['tests', main.report],
  ['soak', soak.report],
] as const) {
  for (const file of report.testResults)
    for (const a of file.assertionResults.filter((x) => x.status === 'failed')) {
      const message = (a.failureMessages ?? []).join(' ').replace(ANSI_COLOUR, '')
      const first = message.split('\n').slice(0, 3).join(' ').slice(0, 400)
      failureLines.push(
        `- ${label}: \`${rel(file.name)}\` "${[...a.ancestorTitles, a.title].join(': ')}": ${first}`,
      )
    }
}

// ---- write --------------------------------------------------------------------------------------------------
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()
const failed = main.report.numFailedTests + soak.report.numFailedTests
const md = `# Reliability record

What was tried against nmrpc to make it fail, and what happened. **Generated** by
\`scripts/reliability.ts\` (\`npm run reliability\`): edits here are overwritten. The threat model these
tests serve is in [SECURITY.md](SECURITY.md).

- date: ${new Date().toISOString()}, commit ${commit}
- Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, load average ${loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')}
- tests run: ${main.report.numTotalTests + soak.report.numPassedTests + soak.report.numFailedTests}, failed: ${failed}
  (${main.seconds} s for the test files below, ${soak.seconds} s for the soak)

## Generated inputs (property tests, fast-check)

Every run of \`npm test\` generates these; \`NMRPC_FC_SCALE=10\` multiplies them (see \`test/unit/runs.ts\`).
Counts are read from each file's \`runs(n)\` calls${scale !== 1 ? `, scaled by ${scale}` : ''}.

| file | properties | inputs per run | result |
|---|---:|---:|---|
${inputRows.join('\n')}
| **total** | | **${totalInputs.toLocaleString('en')}** | |

## Faults injected and hostile input

Over real child processes (the host started as a browser starts it, through \`spawnHost\`, or raw with
FIFOs for stdin/stdout and hand-written frames), except the engine-level leak tests, which pair two
sessions in memory.

| file | what was tried, and what must happen | result |
|---|---|---|
${faultRows.join('\n')}

## Limits

The named limits in \`src/shared/limits.ts\` and the tests that drive each one to its boundary.

| limit | value | what it bounds | tested at the boundary by |
|---|---:|---|---|
${limitRows.join('\n')}

## Soak

${soakLines.join('\n')}

## Failures in this run

${failureLines.length ? failureLines.join('\n') : 'None.'}

## Everything else that ran

| file | result |
|---|---|
${otherFiles.map((f) => `| \`${rel(f)}\` | ${fileStatus(rel(f))} |`).join('\n')}
`
writeFileSync(join(root, 'RELIABILITY.md'), md)
rmSync(tmp, { recursive: true, force: true })
console.error(`reliability: wrote RELIABILITY.md (${failed} failed)`)
process.exit(failed ? 1 : 0)
