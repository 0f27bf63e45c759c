// Many small calls and a lot of streamed data through ONE session, with heap and RSS measured on both
// sides at the start and the end. Growth is asserted loosely (a leak of a few bytes per call would show
// as tens of MiB over a million calls); the figures are printed exactly, for RELIABILITY.md.
//
// Default (npm test): 100,000 calls and 256 MiB. NMRPC_SOAK=full: 1,000,000 calls and 1 GiB.
// NMRPC_SOAK_OUT=file.json also writes the figures there (scripts/reliability.ts reads them).
import { writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { type FaultClient, startFaultClient } from './faultClient.js'

const MiB = 1024 * 1024
const full = process.env.NMRPC_SOAK === 'full'
const CALLS = full ? 1_000_000 : 100_000
const STREAM_BYTES = full ? 1024 * MiB : 256 * MiB
const ITEM = 256 * 1024
const IN_FLIGHT = 256

// A full collection before each measurement, so the figures are what is retained, not garbage.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Mem {
  rss: number
  heapUsed: number
}
function localMem(): Mem {
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed }
}

const figures: Record<string, unknown> = {
  mode: full ? 'full' : 'default',
  calls: CALLS,
  streamBytes: STREAM_BYTES,
}
let fx: FaultClient | undefined
afterAll(() => {
  fx?.dispose()
  console.log(`NMRPC_SOAK_RESULT ${JSON.stringify(figures)}`)
  if (process.env.NMRPC_SOAK_OUT)
    writeFileSync(process.env.NMRPC_SOAK_OUT, `${JSON.stringify(figures, null, 2)}\n`)
})

const mib = (n: number) => Math.round((n / MiB) * 100) / 100

describe(`soak: ${CALLS.toLocaleString('en')} calls and ${STREAM_BYTES / MiB} MiB streamed through one session`, () => {
  it('keeps memory flat on both sides', async () => {
    fx = startFaultClient({ nodeArgs: ['--expose-gc'], client: { timeout: 120_000 } })
    const { client } = fx
    // Warm up (JIT, buffers, codec caches) before the start figures.
    for (let i = 0; i < 2_000; i++) await client.call.add(i, 1)
    for await (const _ of client.call.chunks(64, ITEM));
    const start = { client: localMem(), host: await client.call.mem(true) }
    const t0 = Date.now()

    // Small calls, IN_FLIGHT at a time, every result checked.
    let next = 0
    let wrong = 0
    const worker = async () => {
      while (next < CALLS) {
        const i = next++
        if ((await client.call.add(i, 1)) !== i + 1) wrong++
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    const callsMs = Date.now() - t0
    const afterCalls = { client: localMem(), host: await client.call.mem(true) }

    // Streamed data, item by item, every byte counted.
    const t1 = Date.now()
    let bytes = 0
    for await (const chunk of client.call.chunks(STREAM_BYTES / ITEM, ITEM)) bytes += chunk.length
    const streamMs = Date.now() - t1
    const end = { client: localMem(), host: await client.call.mem(true) }

    Object.assign(figures, {
      wrongResults: wrong,
      bytesReceived: bytes,
      callsPerSecond: Math.round(CALLS / (callsMs / 1000)),
      streamMiBPerSecond: Math.round((bytes / MiB / (streamMs / 1000)) * 10) / 10,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      start: mapMem(start),
      afterCalls: mapMem(afterCalls),
      end: mapMem(end),
      growthMiB: {
        clientHeap: mib(end.client.heapUsed - start.client.heapUsed),
        clientRss: mib(end.client.rss - start.client.rss),
        hostHeap: mib(end.host.heapUsed - start.host.heapUsed),
        hostRss: mib(end.host.rss - start.host.rss),
      },
    })

    expect(wrong).toBe(0)
    expect(bytes).toBe(STREAM_BYTES)
    // Loose bounds: retained heap must not grow with the number of calls or bytes.
    expect(end.client.heapUsed - start.client.heapUsed).toBeLessThan(32 * MiB)
    expect(end.host.heapUsed - start.host.heapUsed).toBeLessThan(32 * MiB)
    // RSS includes freed-but-kept pages of the allocator; it must still not track the data volume.
    expect(end.client.rss - start.client.rss).toBeLessThan(192 * MiB)
    expect(end.host.rss - start.host.rss).toBeLessThan(192 * MiB)
  }, 600_000)
})

function mapMem(m: { client: Mem; host: Mem }) {
  return {
    clientHeapMiB: mib(m.client.heapUsed),
    clientRssMiB: mib(m.client.rss),
    hostHeapMiB: mib(m.host.heapUsed),
    hostRssMiB: mib(m.host.rss),
  }
}
