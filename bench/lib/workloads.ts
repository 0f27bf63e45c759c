import { cpuMicros, peakMiB, resetPeak, rssMiB } from './memory'
import type { BenchSession } from './session'

const MIB = 1024 * 1024

/** Every workload the driver can run; `rtt-1cpu` is `rtt` with both processes pinned to CPU 0. */
export const WORKLOADS = [
  'rtt',
  'rtt-1cpu',
  'inflight64',
  'inflight256',
  'echo',
  'stream',
  'binary',
  'during',
  'bigflight',
] as const
export type WorkloadId = (typeof WORKLOADS)[number]

/** How one number of a workload reads in the table. */
export interface MetricInfo {
  key: string
  label: string
  better: 'higher' | 'lower'
  /** Whether the table shows a ratio to raw for it (memory deltas get none: raw is no memory limit). */
  ratio: boolean
}

/** What a workload measures and how its numbers read; the order is the table's order. */
export const WORKLOAD_INFO: Record<WorkloadId, { title: string; metrics: MetricInfo[] }> = {
  rtt: {
    title: 'small call, sequential',
    metrics: [
      { key: 'p50_us', label: 'p50 µs', better: 'lower', ratio: true },
      { key: 'p99_us', label: 'p99 µs', better: 'lower', ratio: true },
    ],
  },
  'rtt-1cpu': {
    title: 'small call, sequential, both on CPU 0',
    metrics: [
      { key: 'p50_us', label: 'p50 µs', better: 'lower', ratio: true },
      { key: 'p99_us', label: 'p99 µs', better: 'lower', ratio: true },
    ],
  },
  inflight64: {
    title: 'small calls, 64 in flight',
    metrics: [{ key: 'calls_s', label: 'calls/s', better: 'higher', ratio: true }],
  },
  inflight256: {
    title: 'small calls, 256 in flight',
    metrics: [{ key: 'calls_s', label: 'calls/s', better: 'higher', ratio: true }],
  },
  echo: {
    title: '1 MiB string echo',
    metrics: [{ key: 'mib_s', label: 'MiB/s', better: 'higher', ratio: true }],
  },
  stream: {
    title: '64 MiB stream, 64 KiB items',
    metrics: [
      { key: 'mib_s', label: 'MiB/s', better: 'higher', ratio: true },
      { key: 'host_mib', label: 'host peak RSS over idle, MiB', better: 'lower', ratio: false },
      { key: 'client_mib', label: 'client peak RSS over idle, MiB', better: 'lower', ratio: false },
    ],
  },
  binary: {
    title: '100 MiB Uint8Array result',
    metrics: [
      { key: 'mib_s', label: 'MiB/s', better: 'higher', ratio: true },
      { key: 'host_mib', label: 'host peak RSS over idle, MiB', better: 'lower', ratio: false },
      { key: 'client_mib', label: 'client peak RSS over idle, MiB', better: 'lower', ratio: false },
    ],
  },
  during: {
    title: 'small call during a 64 MiB stream',
    metrics: [
      { key: 'p50_ms', label: 'p50 ms', better: 'lower', ratio: true },
      { key: 'p99_ms', label: 'p99 ms', better: 'lower', ratio: true },
      { key: 'samples', label: 'calls made', better: 'higher', ratio: false },
    ],
  },
  bigflight: {
    title: '256 KiB echo, 64 in flight',
    metrics: [
      { key: 'calls_s', label: 'calls/s', better: 'higher', ratio: true },
      { key: 'client_cpu_ms', label: 'client CPU ms per call', better: 'lower', ratio: true },
    ],
  },
}

/** Sizes and counts of the workloads, in one place so RESULTS.md can quote them. */
export const LOAD = {
  rttWarm: 20_000,
  rttCalls: 5000,
  inflightWarm: 2000,
  inflightCalls: 40_000,
  echoBytes: MIB,
  echoWarm: 3,
  echoCalls: 24,
  streamBytes: 64 * MIB,
  streamItem: 64 * 1024,
  binaryBytes: 100 * MIB,
  duringGapMs: 1,
  bigflightBytes: 256 * 1024,
  bigflightWarm: 50,
  bigflightRounds: 20,
}

/**
 * Fewer calls for `--quick` (BENCH_QUICK=1 in the drivers): enough to check every contender and get
 * rough ratios on a busy machine. Sizes stay as they are, since they are what the table's rows name.
 */
const QUICK_LOAD: Partial<typeof LOAD> = {
  rttWarm: 3000,
  rttCalls: 2000,
  inflightWarm: 1000,
  inflightCalls: 10_000,
  echoWarm: 1,
  echoCalls: 8,
}

/**
 * Switches `LOAD` to the `--quick` counts, in this process and (through BENCH_QUICK) in the drivers it
 * starts.
 *
 * @example
 * if (values.quick) useQuickLoad()
 */
export function useQuickLoad(): void {
  Object.assign(LOAD, QUICK_LOAD)
  process.env.BENCH_QUICK = '1'
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`workload check failed: ${what}; the contender returned a wrong result.`)
}

async function latencies(session: BenchSession, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const start = performance.now()
    const sum = await session.add(i, 1)
    out.push(performance.now() - start)
    check(sum === i + 1, `add(${i}, 1) gave ${sum}`)
  }
  return out.sort((a, b) => a - b)
}

async function rtt(session: BenchSession): Promise<Record<string, number>> {
  await latencies(session, LOAD.rttWarm)
  const sorted = await latencies(session, LOAD.rttCalls)
  return { p50_us: quantile(sorted, 0.5) * 1000, p99_us: quantile(sorted, 0.99) * 1000 }
}

async function inflightRun(session: BenchSession, depth: number, total: number): Promise<number> {
  let started = 0
  const start = performance.now()
  async function lane(): Promise<void> {
    while (started < total) {
      const i = started++
      const sum = await session.add(i, 2)
      if (sum !== i + 2) check(false, `add(${i}, 2) gave ${sum}`)
    }
  }
  await Promise.all(Array.from({ length: depth }, lane))
  return total / ((performance.now() - start) / 1000)
}

async function inflight(session: BenchSession, depth: number): Promise<Record<string, number>> {
  await inflightRun(session, depth, LOAD.inflightWarm)
  const cpu = process.cpuUsage()
  const host = cpuMicros(session.hostPid)
  const calls_s = await inflightRun(session, depth, LOAD.inflightCalls)
  const used = process.cpuUsage(cpu)
  const client = (used.user + used.system) / LOAD.inflightCalls
  const hostUs = (cpuMicros(session.hostPid) - host) / LOAD.inflightCalls
  // Not in the table: CPU per call on each side (the host's in 10 ms ticks) and how many of the two CPUs
  // the pair kept busy (about 1 when the two ends take turns, up to 2 when they work at the same time).
  return {
    calls_s,
    client_cpu_us: client,
    host_cpu_us: hostUs,
    cpus_busy: ((client + hostUs) * calls_s) / 1e6,
  }
}

async function echo(session: BenchSession): Promise<Record<string, number>> {
  const text = 'e'.repeat(LOAD.echoBytes - 1) + 'z'
  for (let i = 0; i < LOAD.echoWarm; i++) await session.echo(text)
  const start = performance.now()
  for (let i = 0; i < LOAD.echoCalls; i++) {
    const back = await session.echo(text)
    check(back.length === text.length && back.endsWith('ez'), 'echo returned other text')
  }
  const seconds = (performance.now() - start) / 1000
  return { mib_s: (LOAD.echoCalls * LOAD.echoBytes) / MIB / seconds }
}

/** Resets both peaks after a GC, runs `work`, and reports how far each side's RSS rose above idle. */
async function withMemory(
  session: BenchSession,
  work: () => Promise<void>,
): Promise<{ host_mib: number; client_mib: number }> {
  globalThis.gc?.()
  resetPeak('self')
  resetPeak(session.hostPid)
  const clientIdle = rssMiB('self')
  const hostIdle = rssMiB(session.hostPid)
  await work()
  return { host_mib: peakMiB(session.hostPid) - hostIdle, client_mib: peakMiB('self') - clientIdle }
}

async function stream(session: BenchSession): Promise<Record<string, number>> {
  await session.stream(LOAD.streamItem * 16, LOAD.streamItem)
  let seconds = 0
  const memory = await withMemory(session, async () => {
    const start = performance.now()
    const received = await session.stream(LOAD.streamBytes, LOAD.streamItem)
    seconds = (performance.now() - start) / 1000
    check(received === LOAD.streamBytes, `stream delivered ${received} of ${LOAD.streamBytes} bytes`)
  })
  return { mib_s: LOAD.streamBytes / MIB / seconds, ...memory }
}

async function binary(session: BenchSession): Promise<Record<string, number>> {
  await session.bytes(MIB)
  let seconds = 0
  const memory = await withMemory(session, async () => {
    const start = performance.now()
    const data = await session.bytes(LOAD.binaryBytes)
    seconds = (performance.now() - start) / 1000
    check(data instanceof Uint8Array, 'bytes did not return a Uint8Array')
    check(data.length === LOAD.binaryBytes, `bytes returned ${data.length} bytes`)
    for (const i of [0, 1, 255, 256, 12345, LOAD.binaryBytes - 1]) check(data[i] === (i & 255), `byte ${i}`)
  })
  return { mib_s: LOAD.binaryBytes / MIB / seconds, ...memory }
}

async function during(session: BenchSession): Promise<Record<string, number>> {
  await latencies(session, 200)
  let streaming = true
  const big = session.stream(LOAD.streamBytes, LOAD.streamItem).finally(() => {
    streaming = false
  })
  // Every call started while the stream runs counts, however late it ends: a contender whose host
  // floods the pipe (no flow control) makes a small call wait behind the whole stream, and that wait is
  // the number, not a reason to drop the sample.
  const samples: number[] = []
  while (streaming) {
    const start = performance.now()
    await session.add(1, 1)
    samples.push(performance.now() - start)
    await new Promise((resolve) => setTimeout(resolve, LOAD.duringGapMs))
  }
  check((await big) === LOAD.streamBytes, 'the stream under the small calls was cut short')
  check(samples.length > 0, 'no small call was made while the stream ran')
  samples.sort((a, b) => a - b)
  return { p50_ms: quantile(samples, 0.5), p99_ms: quantile(samples, 0.99), samples: samples.length }
}

/**
 * The browser bench's "large" row in Node (issue 17): a 256 KiB string echoed, 64 calls at a time, in
 * rounds (each round waits for all 64). Reports calls/s and the client's CPU per call, which tell latency
 * in how pieces are paced (calls/s low, CPU low) from work (CPU high).
 */
async function bigflight(session: BenchSession): Promise<Record<string, number>> {
  const text = `${'x'.repeat(LOAD.bigflightBytes - 1)}z`
  for (let i = 0; i < LOAD.bigflightWarm; i++) await session.echo(text)
  const cpu = process.cpuUsage()
  const host = cpuMicros(session.hostPid)
  const start = performance.now()
  for (let r = 0; r < LOAD.bigflightRounds; r++) {
    const back = await Promise.all(Array.from({ length: 64 }, () => session.echo(text)))
    for (const b of back) check(b.length === text.length && b.endsWith('xz'), 'echo returned other text')
  }
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  const calls = LOAD.bigflightRounds * 64
  const client = (used.user + used.system) / 1000 / calls
  const hostMs = (cpuMicros(session.hostPid) - host) / 1000 / calls
  const calls_s = calls / (ms / 1000)
  // host_cpu_ms and cpus_busy are not in the table (see `inflight`).
  return {
    calls_s,
    client_cpu_ms: client,
    host_cpu_ms: hostMs,
    cpus_busy: ((client + hostMs) * calls_s) / 1000,
  }
}

/**
 * Runs one workload against a started session and returns its numbers (see `WORKLOAD_INFO`). Every
 * workload warms up first and checks what comes back, so a fast wrong answer fails instead of winning.
 *
 * @example
 * const metrics = await runWorkload('inflight64', session)
 */
export function runWorkload(id: WorkloadId, session: BenchSession): Promise<Record<string, number>> {
  switch (id) {
    case 'rtt':
    case 'rtt-1cpu':
      return rtt(session)
    case 'inflight64':
      return inflight(session, 64)
    case 'inflight256':
      return inflight(session, 256)
    case 'echo':
      return echo(session)
    case 'stream':
      return stream(session)
    case 'binary':
      return binary(session)
    case 'during':
      return during(session)
    case 'bigflight':
      return bigflight(session)
  }
}
