import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { join } from 'node:path'
import type { DriverResult } from '../driver'
import { BROWSER_INBOUND_LIMIT } from './framing'
import type { ContenderName } from './session'
import { CARRIAGE, STREAM_ACK_EVERY, STREAM_WINDOW } from './session'
import { fmt, type Summary, summarize } from './stats'
import { LOAD, WORKLOAD_INFO, type WorkloadId } from './workloads'

const LABELS: Record<ContenderName, string> = {
  raw: 'raw framing',
  nmrpc: 'nmrpc',
  'nmrpc-app': 'nmrpc app (relay)',
  'nmrpc-app-copy': 'nmrpc app (relay copying)',
  'nmrpc-baseline': 'nmrpc (baseline)',
  birpc: 'birpc',
  vscode: 'vscode-jsonrpc',
  orpc: 'oRPC',
  capnweb: 'capnweb',
  trpc: 'tRPC',
}
const START = '<!-- bench:start (written by npm run bench; edits inside are overwritten) -->'
const END = '<!-- bench:end -->'
const BROWSER_SECTION = '## Through a real browser'
/** Our own `## ` heading, outside the markers, so a section-replacer that stops at the next `## ` (the
 * e2e suite's) never eats the markers. */
const OWN_SECTION = '## Between two Node processes over real pipes (npm run bench)'

/**
 * The machine/date lines every report starts with: date, CPU model, cores, Node, kernel, commit.
 *
 * @example
 * console.log(machineHeader(root).join('\n'))
 */
export function machineHeader(root: string): string[] {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    // The build uses the working tree: say so when src/ differs from the commit named.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' })
    if (dirty.trim()) commit += ' plus uncommitted changes in src/'
  } catch {
    // Not a git checkout; the rest of the header still says where the numbers come from.
  }
  const cpu = cpus()
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string
  return [
    `- date: ${new Date().toISOString()}`,
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores`,
    `- Node ${process.version}, Linux ${release()}, load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine skews every contender; compare ratios within one run)`,
    `- nmrpc ${version} at commit ${commit}`,
  ]
}

/** One driver's answer and the repetition it belongs to (ratios pair runs of the same repetition). */
export type RepResult = DriverResult & { rep: number }

interface ReportInput {
  header: string[]
  command: string
  reps: number
  workloads: WorkloadId[]
  contenders: ContenderName[]
  results: RepResult[]
  notes: string[]
  seconds: number
}

interface Cell {
  summary?: Summary
  errors: string[]
  oversize: number
}

function cellOf(input: ReportInput, workload: WorkloadId, contender: ContenderName, key: string): Cell {
  const runs = input.results.filter((r) => r.workload === workload && r.contender === contender)
  const values = runs.filter((r) => !r.error && key in r.metrics).map((r) => r.metrics[key]!)
  const cell: Cell = {
    errors: runs.filter((r) => r.error).map((r) => r.error!.split('\n')[0]!),
    oversize: Math.max(0, ...runs.map((r) => r.maxInbound ?? 0)),
  }
  if (values.length > 0) cell.summary = summarize(values)
  return cell
}

/**
 * Ratios of one contender to raw, paired by repetition: raw and the contender ran back to back in each
 * repetition, so their ratio cancels most of the drift that other work on the machine causes, where a
 * ratio of medians would not.
 */
function pairedRatio(input: ReportInput, workload: WorkloadId, contender: ContenderName, key: string) {
  const ratios: number[] = []
  for (let rep = 1; rep <= input.reps; rep++) {
    const at = (c: ContenderName) =>
      input.results.find((r) => r.rep === rep && r.workload === workload && r.contender === c && !r.error)
        ?.metrics[key]
    const value = at(contender)
    const base = at('raw')
    if (value !== undefined && base) ratios.push(value / base)
  }
  return ratios.length ? summarize(ratios) : undefined
}

function ratioText(summary: Summary | undefined): string {
  if (!summary) return '-'
  const { median, min, max } = summary
  return `${median.toFixed(2)}x (${min.toFixed(2)}-${max.toFixed(2)})`
}

/**
 * Renders the report: header, command, a table of medians with min-max, a table of ratios to raw
 * framing, the issue's targets for nmrpc, and how each workload was run.
 *
 * @example
 * console.log(renderReport({ header, command, reps, workloads, contenders, results, notes, seconds }))
 */
export function renderReport(input: ReportInput): string {
  const { contenders, workloads } = input
  const lines: string[] = []
  const oversized = new Set<string>()
  lines.push(...input.header)
  lines.push(
    `- command: \`${input.command}\` (${input.reps} repetitions, ${Math.round(input.seconds)} s)`,
    `- load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
  )
  lines.push('### Medians (min-max) over the repetitions')
  lines.push('')
  lines.push(`| workload | metric | ${contenders.map((c) => LABELS[c]).join(' | ')} |`)
  lines.push(`|---|---|${contenders.map(() => '---:').join('|')}|`)
  for (const workload of workloads) {
    const info = WORKLOAD_INFO[workload]
    for (const metric of info.metrics) {
      const cells = contenders.map((contender) => {
        const cell = cellOf(input, workload, contender, metric.key)
        if (!cell.summary) return cell.errors.length ? `error: ${cell.errors[0]}` : '-'
        const { median, min, max } = cell.summary
        let text = `${fmt(median)} (${fmt(min)}-${fmt(max)})`
        if (cell.errors.length) text += ` [${cell.errors.length} failed]`
        if (emulatedIn(workload, contender)) text += ' ‡'
        if (cell.oversize > BROWSER_INBOUND_LIMIT) {
          text += ' †'
          oversized.add(`${LABELS[contender]} on "${info.title}": ${cell.oversize} bytes`)
        }
        return text
      })
      const arrow = metric.better === 'higher' ? '↑' : '↓'
      lines.push(`| ${info.title} | ${metric.label} ${arrow} | ${cells.join(' | ')} |`)
    }
  }
  if (oversized.size) {
    lines.push('')
    lines.push(
      `† sent a single host->browser message over the browsers' 1 MiB limit, which Chromium and Firefox answer by closing the Port; the number is not reachable in a browser. Largest message: ${[...oversized].join('; ')}.`,
    )
  }

  if (workloads.some((w) => carriedBy(w) !== undefined)) {
    lines.push('')
    lines.push(
      '‡ the library has no such feature; the number is the bench\'s stand-in (see "How each contender carries it").',
    )
  }
  lines.push('', '### How each contender carries it', '')
  lines.push(`| | ${contenders.map((c) => LABELS[c]).join(' | ')} |`)
  lines.push(`|---|${contenders.map(() => '---').join('|')}|`)
  lines.push(`| adapter | ${contenders.map((c) => CARRIAGE[c].adapter).join(' | ')} |`)
  for (const kind of ['stream', 'binary'] as const) {
    const cells = contenders.map((c) => `${CARRIAGE[c][kind].emulated ? '‡ ' : ''}${CARRIAGE[c][kind].how}`)
    lines.push(`| ${kind} | ${cells.join(' | ')} |`)
  }

  const others = contenders.filter((c) => c !== 'raw')
  if (contenders.includes('raw') && others.length) {
    lines.push('', '### Ratio to raw framing, paired per repetition: median (min-max)', '')
    lines.push('↑: above 1 is better than raw; ↓: below 1 is better than raw.', '')
    lines.push(`| workload | metric | ${others.map((c) => LABELS[c]).join(' | ')} |`)
    lines.push(`|---|---|${others.map(() => '---:').join('|')}|`)
    for (const workload of workloads) {
      const info = WORKLOAD_INFO[workload]
      for (const metric of info.metrics.filter((m) => m.ratio)) {
        const cells = others.map((c) => ratioText(pairedRatio(input, workload, c, metric.key)))
        const arrow = metric.better === 'higher' ? '↑' : '↓'
        lines.push(`| ${info.title} | ${metric.label} ${arrow} | ${cells.join(' | ')} |`)
      }
    }
  }

  const peerTargets = renderPeerTargets(input)
  if (peerTargets.length) {
    lines.push(
      '',
      '### Targets of issue 17: nmrpc against the best peer and raw framing (paired per repetition, median)',
      '',
    )
    lines.push(
      'Above 1.00x nmrpc is ahead, whichever way the metric points. † after a raw ratio: raw sent a message over 1 MiB there, which a browser refuses.',
      '',
      ...peerTargets,
    )
  }
  const targets = renderTargets(input)
  if (targets.length) lines.push('', '### Targets of issue 7 for nmrpc (medians of this run)', '', ...targets)

  lines.push('', '### How it was measured', '')
  lines.push(
    `- Every measurement is a fresh "browser" process (bench/driver.ts) and a fresh host, joined by two fifos: real pipes like a browser gives, not the socketpair of Node's \`spawn\`. Raw framing, birpc, oRPC, capnweb and tRPC use browser framing (4-byte native-endian length + UTF-8 JSON); vscode-jsonrpc uses its own Content-Length framing; nmrpc runs through \`spawnHost\` + \`createClient\` from the built package. oRPC, capnweb and tRPC talk to a FramedPort (bench/lib/framedPort.ts), which does what a browser's native \`runtime.Port\` does: \`postMessage(value)\` JSON-encodes the value into one frame, each frame in is JSON-parsed for \`onMessage\`; the table above says which adapter each one runs on it. Repetitions run round-robin over contenders.`,
    `- small call: \`add(i, 1)\`, ${LOAD.rttWarm} warm-up calls then ${LOAD.rttCalls} timed, one at a time; "both on CPU 0" runs the two processes under \`taskset -c 0\`. In flight: ${LOAD.inflightCalls} calls kept 64 or 256 deep after ${LOAD.inflightWarm} warm-up calls.`,
    `- echo: a ${LOAD.echoBytes / 1048576} MiB ASCII string sent and returned ${LOAD.echoCalls} times (MiB/s counts the string once per call).`,
    `- stream: ${LOAD.streamBytes / 1048576} MiB as ${LOAD.streamItem / 1024} KiB string items host->client. Contenders without streams emulate it: items are notifications, the host keeps at most ${STREAM_WINDOW} unacknowledged and the client acknowledges every ${STREAM_ACK_EVERY}, so at most ${(STREAM_WINDOW * LOAD.streamItem) / 1048576} MiB is in flight.`,
    `- binary: one call returning ${LOAD.binaryBytes / 1048576} MiB as a Uint8Array; contenders without binary support send base64 text in one message and the client decodes it (included in the time).`,
    `- peak RSS over idle: /proc VmHWM after the workload minus VmRSS before it, with the peak reset (clear_refs 5) after warm-up and a GC on the client. In the binary workload the host's handler itself makes the ${LOAD.binaryBytes / 1048576} MiB array, so that much of the host's peak is the payload, not the RPC layer; read the "< 64 MiB above idle" target as "< 64 MiB beyond the payload".`,
    '- unpinned sequential latency is bimodal: when the scheduler puts the two processes on one CPU a round trip costs about 20 µs, on two CPUs 50-100 µs; the pinned row is the stable one.',
    `- during: \`add(1, 1)\` every ${LOAD.duringGapMs} ms while a ${LOAD.streamBytes / 1048576} MiB stream runs; every call started while the stream ran counts, also one that ends after it (a host without flow control makes it wait behind the stream).`,
  )
  for (const note of input.notes) lines.push(`- ${note}`)
  return lines.join('\n')
}

/** Which of `CARRIAGE`'s entries a workload depends on, if any. */
function carriedBy(workload: WorkloadId): 'stream' | 'binary' | undefined {
  if (workload === 'stream' || workload === 'during') return 'stream'
  if (workload === 'binary') return 'binary'
  return undefined
}

function emulatedIn(workload: WorkloadId, contender: ContenderName): boolean {
  const kind = carriedBy(workload)
  return kind !== undefined && CARRIAGE[contender][kind].emulated
}

/**
 * Issue 17's targets, row by row: nmrpc against the best peer and against raw framing, each as "how many
 * times better" (above 1 is nmrpc ahead, whichever way the metric points), paired per repetition like the
 * ratio table (the two ran back to back, so drift from other work on the machine mostly cancels).
 * A peer whose cell is † (a message over 1 MiB) is left out of "best peer": a browser closes the Port
 * on it, so it does not run there. nmrpc's app mode is nmrpc too, never a peer.
 */
function renderPeerTargets(input: ReportInput): string[] {
  if (!input.contenders.includes('nmrpc')) return []
  // nmrpc's own contenders (nmrpc-app: the same library through the relay) are not peers.
  const peers = input.contenders.filter((c) => c !== 'raw' && !c.startsWith('nmrpc'))
  const out: string[] = [
    '| workload | metric | best peer in a browser | nmrpc vs best peer | nmrpc vs raw | target (>= 1.00 and >= 0.90) |',
    '|---|---|---|---:|---:|---|',
  ]
  for (const workload of input.workloads) {
    const info = WORKLOAD_INFO[workload]
    for (const metric of info.metrics.filter((m) => m.ratio)) {
      if (!cellOf(input, workload, 'nmrpc', metric.key).summary) continue
      // pairedRatio gives other/raw; here it is nmrpc's lead over `other`, paired per repetition.
      const lead = (other: ContenderName) => {
        const ratios: number[] = []
        for (let rep = 1; rep <= input.reps; rep++) {
          const at = (c: ContenderName) =>
            input.results.find(
              (r) => r.rep === rep && r.workload === workload && r.contender === c && !r.error,
            )?.metrics[metric.key]
          const nm = at('nmrpc')
          const value = at(other)
          if (nm && value) ratios.push(metric.better === 'higher' ? nm / value : value / nm)
        }
        return ratios.length ? summarize(ratios).median : undefined
      }
      let best: { name: ContenderName; lead: number } | undefined
      for (const peer of peers) {
        if (cellOf(input, workload, peer, metric.key).oversize > BROWSER_INBOUND_LIMIT) continue
        const value = lead(peer)
        if (value !== undefined && (!best || value < best.lead)) best = { name: peer, lead: value }
      }
      const vsPeer = best?.lead
      const vsRaw = input.contenders.includes('raw') ? lead('raw') : undefined
      const rawNote = cellOf(input, workload, 'raw', metric.key).oversize > BROWSER_INBOUND_LIMIT ? ' †' : ''
      const ok = (vsPeer === undefined || vsPeer >= 1) && (vsRaw === undefined || vsRaw >= 0.9)
      const misses = [
        vsPeer !== undefined && vsPeer < 1 ? `behind ${LABELS[best!.name]}` : '',
        vsRaw !== undefined && vsRaw < 0.9 ? `more than 10% behind raw${rawNote}` : '',
      ].filter(Boolean)
      out.push(
        `| ${info.title} | ${metric.label} | ${best ? LABELS[best.name] : '-'} | ${vsPeer === undefined ? '-' : `${vsPeer.toFixed(2)}x`} | ${vsRaw === undefined ? '-' : `${vsRaw.toFixed(2)}x${rawNote}`} | ${ok ? 'MET' : `MISSED: ${misses.join(', ')}`} |`,
      )
    }
  }
  return out.length > 2 ? out : []
}

function renderTargets(input: ReportInput): string[] {
  if (!input.contenders.includes('nmrpc') || !input.contenders.includes('raw')) return []
  const median = (w: WorkloadId, c: ContenderName, key: string) => cellOf(input, w, c, key).summary?.median
  const out: string[] = []
  const check = (what: string, value: number | undefined, goal: string, ok: (v: number) => boolean) => {
    if (value === undefined) return
    out.push(`- ${ok(value) ? 'MET' : 'MISSED'}: ${what} = ${fmt(value)} (target ${goal})`)
  }
  const ratio = (w: WorkloadId, key: string, other: ContenderName = 'raw') => {
    if (other === 'raw') return pairedRatio(input, w, 'nmrpc', key)?.median
    const a = median(w, 'nmrpc', key)
    const b = median(w, other, key)
    return a !== undefined && b ? a / b : undefined
  }
  const has = (w: WorkloadId) => input.workloads.includes(w)
  if (has('inflight64')) {
    check('64 in flight, nmrpc / raw', ratio('inflight64', 'calls_s'), '>= 0.8', (v) => v >= 0.8)
    if (input.contenders.includes('birpc'))
      check('64 in flight, nmrpc / birpc', ratio('inflight64', 'calls_s', 'birpc'), '>= 1.3', (v) => v >= 1.3)
  }
  if (has('rtt')) check('sequential p50, nmrpc / raw', ratio('rtt', 'p50_us'), '<= 1.2', (v) => v <= 1.2)
  if (has('rtt-1cpu'))
    check('sequential p50 on one CPU, nmrpc / raw', ratio('rtt-1cpu', 'p50_us'), '<= 1.2', (v) => v <= 1.2)
  for (const w of ['stream', 'binary'] as const) {
    if (!has(w)) continue
    check(`${WORKLOAD_INFO[w].title}, nmrpc / raw MiB/s`, ratio(w, 'mib_s'), '>= 0.7', (v) => v >= 0.7)
    check(
      `${WORKLOAD_INFO[w].title}, nmrpc host peak RSS over idle (MiB)`,
      median(w, 'nmrpc', 'host_mib'),
      '< 64',
      (v) => v < 64,
    )
  }
  if (has('during'))
    check(
      'small call during a stream, nmrpc p50 (ms)',
      median('during', 'nmrpc', 'p50_ms'),
      '< 5',
      (v) => v < 5,
    )
  return out
}

/**
 * Writes the report into RESULTS.md between the bench markers, keeping everything else, in particular
 * the "Through a real browser" section that the e2e suite writes.
 *
 * @example
 * writeResults('bench/RESULTS.md', report)
 */
export function writeResults(file: string, report: string): void {
  const block = `${START}\n${report}\n${END}`
  const section = `${OWN_SECTION}\n\n${block}`
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmark results\n\n${section}\n`)
    return
  }
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(START.slice(0, 18))
  const end = text.indexOf(END)
  let next: string
  if (start >= 0 && end > start) next = text.slice(0, start) + block + text.slice(end + END.length)
  else {
    const browser = text.indexOf(BROWSER_SECTION)
    next =
      browser >= 0
        ? `${text.slice(0, browser)}${section}\n\n${text.slice(browser)}`
        : `${text.trimEnd()}\n\n${section}\n`
  }
  writeFileSync(file, next)
}
