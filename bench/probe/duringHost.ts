/**
 * Host of bench/probe/during.ts: the bench's nmrpc host (add and a stream of 64 KiB items) that records, for
 * each `add(k, 7)`, when its bytes came in on stdin, when its handler ran and when its reply was written to
 * stdout (with the bytes stdout still held ahead of it), plus a timeline of item writes, drains and GCs.
 * Writes the records to the file named by PROBE_OUT when it exits. Times are ms on the shared clock
 * (performance.timeOrigin + performance.now()), so that the client can line them up with its own.
 */
import { writeFileSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'

interface Call {
  inAt?: number
  handledAt?: number
  writeAt?: number
  queued?: number
}

const now = () => performance.timeOrigin + performance.now()
const calls: Record<number, Call> = {}
const call = (k: number): Call => {
  calls[k] ??= {}
  return calls[k]
}
const timeline: Array<[number, string, number]> = []

new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    timeline.push([
      performance.timeOrigin + e.startTime,
      `gc${(e as { detail?: { kind?: number } }).detail?.kind}`,
      e.duration,
    ])
}).observe({ entryTypes: ['gc'] })
process.stdout.on('drain', () => timeline.push([now(), 'drain', 0]))
process.stdin.prependListener('data', (chunk: Buffer) => {
  timeline.push([now(), 'in', chunk.length])
  for (const m of chunk.toString('latin1').matchAll(/"a":\[(\d+),7\]/g)) call(Number(m[1])).inAt ??= now()
})
// Before listen(): the stdout guard keeps this function as the real writer.
const write = process.stdout.write.bind(process.stdout) as (chunk: Uint8Array) => boolean
process.stdout.write = ((chunk: Uint8Array) => {
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, 4096)).toString(
    'latin1',
  )
  for (const m of text.matchAll(/"r":(\d+)07/g)) {
    const c = call(Number(m[1]))
    c.writeAt = now()
    c.queued = process.stdout.writableLength
  }
  const ok = write(chunk)
  timeline.push([now(), ok ? 'write' : 'write-full', chunk.byteLength])
  return ok
}) as typeof process.stdout.write

const { defineHost } = await import('nmrpc/server')
const item = 'y'.repeat(64 * 1024)
const host = defineHost({
  // The reply k*100+7 ends in "07", so that it can be found in the output.
  add: (a: number, b: number) => {
    call(a).handledAt = now()
    return a * 100 + b
  },
  async *stream(total: number, size: number) {
    for (let sent = 0; sent < total; sent += size) yield item
  },
})
process.on('exit', () => {
  if (process.env.PROBE_OUT) writeFileSync(process.env.PROBE_OUT, JSON.stringify({ calls, timeline }))
})
host.listen()
