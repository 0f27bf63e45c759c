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
  DEFAULT_MAX_HELD_BYTES: [
    ['test/faults/budget.test.ts', 'partial pieces past the budget fail their call'],
    ['test/faults/budget.test.ts', 'calls queued for a handler slot count by bytes'],
    ['test/faults/budget.test.ts', 'unread stream items past the budget fail the stream'],
  ],
  PIECE_COST: [['test/unit/budget.test.ts', 'never holds more than the budget']],
  OPEN_MESSAGE_COST: [['test/unit/budget.test.ts', 'never holds more than the budget']],
  MAX_OPEN_MESSAGES: [['test/faults/budget.test.ts', 'a flood of partial chunked calls']],
  ENVELOPE_COST: [['test/faults/budget.test.ts', 'announcing more binary parts than the budget holds']],
  MAX_BIGINT_DIGITS: [
    ['test/faults/decodeWork.test.ts', 'BigInt of a million digits is refused'],
    ['test/unit/decodeWork.test.ts', 'one at the limit decodes'],
  ],
  MAX_VALIDATION_EXPANSION: [
    ['test/unit/decodeWork.test.ts', 'validate() refuses arguments a schema would walk'],
  ],
  LOG_BURST: [
    ['test/faults/hostileInput.test.ts', 'bad envelopes: at most LOG_BURST lines'],
    ['test/unit/lineBudget.test.ts', 'passes a burst, then counts what it holds back'],
  ],
  LOG_PER_SECOND: [['test/unit/lineBudget.test.ts', 'refills at LOG_PER_SECOND up to the burst']],
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

// ---- classes of issue 15: each class, its budget and the tests that hold it, with their results -----------
/**
 * A class of attack from issue 15 ("Hardening II"), the budget that bounds it (limit names are replaced by
 * their values from src/shared/limits.ts) and the tests that hold it: at its boundary over real processes,
 * and a property test that generates structures of the class. The result column is read from this run.
 */
const hardeningClasses: Array<{ name: string; budget: string; tests: Array<[string, string]> }> = [
  {
    name: 'decoding shared-reference graphs (2^40 paths) costs linear work',
    budget:
      'one step per node and edge for every walk (depth check, stream/binary search, validation); validation expands at most MAX_VALIDATION_EXPANSION x + VALIDATION_EXPANSION_SLACK',
    tests: [
      ['test/faults/decodeWork.test.ts', '40-level chain of shared references (2^40 paths) is echoed back'],
      ['test/faults/crossing.test.ts', 'sharing one object 40 levels deep crosses in both directions'],
      [
        'test/unit/decodeWork.test.ts',
        'on any graph, the depth check and the unfolded size cost at most one step',
      ],
      ['test/unit/decodeWork.test.ts', 'validate() refuses arguments a schema would walk 2^40 times'],
    ],
  },
  {
    name: 'path-heavy superjson metadata (paths into a Set or Map, long paths per leaf, BigInts)',
    budget:
      'one step per path segment, steps linear in the message or BAD_REQUEST; BigInts at most MAX_BIGINT_DIGITS digits; both ends (results, errors, events, items)',
    tests: [
      ['test/faults/decodeWork.test.ts', '100,000 shared-reference paths into one Set'],
      ['test/faults/decodeWork.test.ts', 'values tree that resolves one long path per leaf'],
      ['test/faults/decodeWork.test.ts', 'BigInt of a million digits is refused'],
      ['test/unit/decodeWork.test.ts', 'decoded or refused, in steps linear in the input (property)'],
    ],
  },
  {
    name: 'the byte ledger: partial chunked messages (fixed cost per piece and per open message, cap on open ones)',
    budget:
      'DEFAULT_MAX_HELD_BYTES per session; PIECE_COST per piece, OPEN_MESSAGE_COST per open message, at most MAX_OPEN_MESSAGES open',
    tests: [
      ['test/faults/budget.test.ts', 'a flood of partial chunked calls'],
      ['test/faults/budget.test.ts', 'partial pieces past the budget fail their call'],
      ['test/faults/budget.test.ts', 'chunks tied to no call past the budget close the session'],
      [
        'test/unit/budget.test.ts',
        'never holds more than the budget, and holds nothing once closed (property)',
      ],
    ],
  },
  {
    name: 'the byte ledger: envelopes waiting for binary parts, calls queued for a handler slot, unread stream items',
    budget:
      'DEFAULT_MAX_HELD_BYTES per session (ENVELOPE_COST per held envelope); queued calls also at most DEFAULT_MAX_QUEUED_CALLS',
    tests: [
      ['test/faults/budget.test.ts', 'announcing more binary parts than the budget holds'],
      ['test/faults/budget.test.ts', 'calls queued for a handler slot count by bytes'],
      ['test/faults/budget.test.ts', 'argument stream items the handler has not read count'],
      ['test/faults/budget.test.ts', 'unread stream items past the budget fail the stream'],
    ],
  },
  {
    name: 'deadlines for replies whose binary parts or chunks stop coming',
    budget: 'the call timeout (DEFAULT_TIMEOUT ms unless set), re-armed by each piece; then TIMEOUT',
    tests: [
      ['test/faults/budget.test.ts', 'a reply whose binary parts or chunks stop coming fails with TIMEOUT'],
      ['test/faults/stuckEnds.test.ts', 'times out on the client'],
    ],
  },
  {
    name: 'call and stream states: an envelope that makes no sense in the state fails that call',
    budget: 'PROTOCOL_ERROR for that call; the session goes on',
    tests: [
      ['test/faults/budget.test.ts', 'credit for a unary call, and an item for an argument'],
      ['test/faults/budget.test.ts', 'ok after next fails the stream'],
      ['test/unit/budget.test.ts', 'sent to a running unary call: that call fails PROTOCOL_ERROR'],
      ['test/unit/budget.test.ts', 'a result after stream items fails the stream PROTOCOL_ERROR'],
    ],
  },
  {
    name: 'CLOSED on client.close() and on host shutdown (SIGTERM, host.close())',
    budget:
      'pending calls and streams end CLOSED; the host answers before it exits, within DEFAULT_CLOSE_GRACE ms',
    tests: [
      ['test/integration/lifecycle.test.ts', 'pending calls reject with CLOSED'],
      ['test/integration/lifecycle.test.ts', 'on SIGTERM during a stream'],
      ['test/faults/stuckEnds.test.ts', 'still running when the client closes'],
    ],
  },
  {
    name: 'disconnect classification never matches on the host stderr',
    budget: 'DISCONNECTED for a host that started and crashed; exit 127 says to run nmrpc install again',
    tests: [
      ['test/faults/budget.test.ts', 'crashed saying "not found" is DISCONNECTED'],
      ['test/integration/lifecycle.test.ts', 'reports its state and why it disconnected'],
    ],
  },
  {
    name: 'a caller refused by allowedCallers gets nothing processed',
    budget: 'no event to onEvent, no chunk or binary part stored; UNAUTHORIZED, then the host exits',
    tests: [
      ['test/faults/budget.test.ts', 'no event reaches onEvent, no chunk or binary part is stored'],
      ['test/integration/callers.test.ts', 'refuses any other caller with UNAUTHORIZED'],
    ],
  },
  {
    name: 'a flood of envelopes the host refuses: bounded work and bounded diagnostic lines',
    budget:
      'one line per refused envelope up to LOG_BURST at once, then LOG_PER_SECOND a second; the rest counted, the count printed; no stack captured per refusal',
    tests: [
      ['test/faults/hostileInput.test.ts', 'bad envelopes: at most LOG_BURST lines'],
      ['test/unit/lineBudget.test.ts', 'passes a burst, then counts what it holds back'],
    ],
  },
  {
    name: 'only declared handlers are reachable',
    budget:
      'own enumerable functions of plain objects and prototype methods (not Object.prototype, not instance fields, not _ or # names); NOT_FOUND lists only those',
    tests: [
      ['test/integration/reachable.test.ts', 'calls prototype methods, own and inherited'],
      ['test/integration/reachable.test.ts', 'nothing held in instance fields'],
      ['test/integration/core.test.ts', 'rejects an unknown method with NOT_FOUND'],
    ],
  },
]
const limitValue = (name: string) => {
  const v = (limits as Record<string, unknown>)[name]
  return typeof v === 'number' ? `${name} (${v.toLocaleString('en')})` : name
}
const classRows = hardeningClasses.map((c) => {
  const found = c.tests.map(([file, words]) => ({ file, words, a: findTest(file, words) }))
  const failed = found.filter((t) => t.a?.status === 'failed').length
  const missing = found.filter((t) => !t.a).length
  const result =
    failed > 0
      ? `**${failed} FAILED** of ${found.length}`
      : missing > 0
        ? `**${missing} of ${found.length} tests not found**`
        : `pass (${found.length} tests)`
  const tests = found
    .map(
      (t) =>
        `\`${t.file.replace('test/', '')}\` "${cell(t.a?.title ?? t.words)}": ${t.a ? mark(t.a.status) : 'not found'}`,
    )
    .join('<br>')
  const budget = c.budget.replace(/\b[A-Z][A-Z0-9_]{3,}\b/g, limitValue)
  return `| ${cell(c.name)} | ${cell(budget)} | ${tests} | ${result} |`
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

## Classes of issue 15 (Hardening II)

Each class of attack of issue 15, the budget that bounds it (values from \`src/shared/limits.ts\`), and the
tests that hold it, over real processes and as generated structures (property tests). Results are this run's.
The worst event-loop stall each decoding workload causes is measured by \`npm run bench -- --only stall\`
(bench/RESULTS.md), since tests count work, not time.

| class | budget | tests | result |
|---|---|---|---|
${classRows.join('\n')}

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
