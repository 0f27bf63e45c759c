/**
 * The "browser" process of one measurement: starts one contender's host over real pipes, runs one
 * workload, prints one JSON line with the numbers and exits. `run.ts` starts one driver per measurement
 * so that no contender inherits another's heap, JIT state or peak RSS.
 *
 * Usage (after run.ts has bundled it): node --expose-gc .tmp/bench/driver.mjs <contender> <workload> <hostsDir>
 *
 * With BENCH_CALLS=N in the environment it runs N sequential small calls instead of the workload (and
 * reports `{ calls: N }`): bench/callgrind.ts counts instructions per call from two such runs. With
 * BENCH_INFLIGHT=K as well, the N calls go K at a time (a new one starts as each ends), as in `inflight64`.
 */
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import { startBirpc } from './contenders/birpc'
import { startCapnweb } from './contenders/capnweb'
import { startOrpc } from './contenders/orpc'
import { startRaw } from './contenders/raw'
import { startTrpc } from './contenders/trpc'
import { startVscode } from './contenders/vscode'
import { type BenchSession, CONTENDERS, type ContenderName, type StartContender } from './lib/session'
import { runWorkload, useQuickLoad, WORKLOADS, type WorkloadId } from './lib/workloads'

/** The driver's answer, one JSON line on stdout. */
export interface DriverResult {
  contender: ContenderName
  workload: WorkloadId
  metrics: Record<string, number>
  /** Largest host->browser body in bytes, when the harness could see it. */
  maxInbound?: number
  error?: string
}

const starters: Record<ContenderName, () => Promise<StartContender>> = {
  raw: async () => startRaw,
  birpc: async () => startBirpc,
  vscode: async () => startVscode,
  orpc: async () => startOrpc,
  capnweb: async () => startCapnweb,
  trpc: async () => startTrpc,
  // Loaded only when asked for: it imports the built package, which may not exist yet.
  nmrpc: async () => (await import('./contenders/nmrpc')).startNmrpc,
  // The same adapter: run.ts starts this driver from a second bundle whose nmrpc is the baseline dist.
  'nmrpc-baseline': async () => (await import('./contenders/nmrpc')).startNmrpc,
  'nmrpc-app': async () => (await import('./contenders/nmrpcApp')).startNmrpcApp,
  'nmrpc-app-copy': async () => {
    const { startNmrpcApp } = await import('./contenders/nmrpcApp')
    return (hostScript: string) => startNmrpcApp(hostScript, { copy: true })
  },
}

const MIB = 1024 * 1024

/**
 * BENCH_MIB=N: moves N MiB through one large workload, unmeasured (bench/callgrind.ts --workload counts
 * instructions per MiB from two such runs): echo makes N 1 MiB echoes, binary one N MiB result, stream
 * one N MiB stream of 64 KiB items. N=0 starts and closes the session only.
 */
async function moveMiB(
  workload: WorkloadId,
  session: BenchSession,
  value: string,
): Promise<Record<string, number>> {
  const mib = Number(value)
  if (!Number.isSafeInteger(mib) || mib < 0)
    throw new Error(`driver: BENCH_MIB must be a whole number of MiB, got "${value}"; e.g. BENCH_MIB=16.`)
  if (mib === 0) return { mib }
  if (workload === 'echo') {
    const text = 'e'.repeat(MIB - 1) + 'z'
    for (let i = 0; i < mib; i++) {
      const back = await session.echo(text)
      if (back.length !== text.length)
        throw new Error(`driver: echo ${i} returned ${back.length} characters.`)
    }
  } else if (workload === 'binary') {
    const data = await session.bytes(mib * MIB)
    if (data.length !== mib * MIB || data[mib * MIB - 1] !== 255)
      throw new Error(`driver: bytes(${mib} MiB) returned ${data.length} bytes.`)
  } else if (workload === 'stream') {
    const received = await session.stream(mib * MIB, 64 * 1024)
    if (received !== mib * MIB) throw new Error(`driver: the stream delivered ${received} of ${mib * MIB}.`)
  } else {
    throw new Error(`driver: BENCH_MIB works with echo, binary and stream, not "${workload}".`)
  }
  return { mib }
}

/**
 * BENCH_HEAP_FROM=M (with BENCH_CALLS=N): the heap bytes this process allocated per call from call M to the
 * end, as the growth of V8's used heap over that window, which is allocation only if no collection ran in
 * it: start node with a young generation large enough (`--min-semi-space-size=64 --max-semi-space-size=64`,
 * in MB) and the driver reports the collections it saw (`heapGcs`), the figure being good only at 0.
 */
function heapWindow(
  count: number,
): { from: number; mark(): void; result(): Record<string, number> } | undefined {
  const value = process.env.BENCH_HEAP_FROM
  if (value === undefined) return undefined
  const from = Number(value)
  if (!Number.isSafeInteger(from) || from < 0 || from >= count)
    throw new Error(`driver: BENCH_HEAP_FROM must be a whole number below BENCH_CALLS, got "${value}".`)
  let gcs = 0
  let start = 0
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length
  })
  return {
    from,
    mark() {
      observer.observe({ entryTypes: ['gc'] })
      start = getHeapStatistics().used_heap_size
    },
    result() {
      const used = getHeapStatistics().used_heap_size
      gcs += observer.takeRecords().length
      observer.disconnect()
      return { heapBytesPerCall: Math.round((used - start) / (count - from)), heapGcs: gcs }
    },
  }
}

async function main(): Promise<void> {
  const [contender, workload, hostsDir] = process.argv.slice(2)
  if (!CONTENDERS.includes(contender as ContenderName) || !WORKLOADS.includes(workload as WorkloadId)) {
    throw new Error(
      `driver: unknown contender "${contender}" or workload "${workload}"; use one of ${CONTENDERS.join(', ')} and ${WORKLOADS.join(', ')}.`,
    )
  }
  const name = contender as ContenderName
  if (process.env.BENCH_QUICK === '1') useQuickLoad()
  const start = await starters[name]()
  const session = await start(
    join(
      hostsDir!,
      `${name.startsWith('nmrpc-app') ? 'nmrpcApp' : name === 'nmrpc-baseline' ? 'nmrpc' : name}.mjs`,
    ),
  )
  const result: DriverResult = { contender: name, workload: workload as WorkloadId, metrics: {} }
  try {
    const calls = process.env.BENCH_CALLS
    if (calls !== undefined) {
      const count = Number(calls)
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new Error(
          `driver: BENCH_CALLS must be a whole number of calls, got "${calls}"; e.g. BENCH_CALLS=2000.`,
        )
      }
      const inflight = Number(process.env.BENCH_INFLIGHT ?? '1')
      if (!Number.isSafeInteger(inflight) || inflight < 1) {
        throw new Error(
          `driver: BENCH_INFLIGHT must be a whole number >= 1, got "${process.env.BENCH_INFLIGHT}"; e.g. 64.`,
        )
      }
      const heap = heapWindow(count)
      let next = 0
      const lane = async (): Promise<void> => {
        while (next < count) {
          if (next === heap?.from) heap.mark()
          await session.add(next++, 1)
        }
      }
      await Promise.all(Array.from({ length: Math.min(inflight, Math.max(count, 1)) }, lane))
      result.metrics = { calls: count, ...heap?.result() }
    } else if (process.env.BENCH_MIB !== undefined) {
      result.metrics = await moveMiB(workload as WorkloadId, session, process.env.BENCH_MIB)
    } else {
      result.metrics = await runWorkload(workload as WorkloadId, session)
    }
    const max = session.maxInbound()
    if (max !== undefined) result.maxInbound = max
  } finally {
    await session.close()
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.stack : String(error) })}\n`)
  process.exitCode = 1
})
