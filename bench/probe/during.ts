/**
 * Where a small call waits while a 64 MiB stream runs (the `during` row): `add` every 1 ms during the
 * stream, each timed at four points on one clock (client: before the call and when it resolves; host: stdin
 * read, handler, stdout write; see duringHost.ts), printed as quantiles of each leg. Runs the built dist.
 *
 * Usage: npm run build && node --import tsx bench/probe/during.ts
 *        PIN=1 taskset -c 0 node --import tsx bench/probe/during.ts   (host on CPU 1, client on CPU 0)
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'nmrpc/client'
import { spawnHost } from 'nmrpc/node'

interface ProbeHost {
  add(a: number, b: number): number
  stream(total: number, size: number): AsyncGenerator<string>
}

const now = () => performance.timeOrigin + performance.now()
const out = join(tmpdir(), `nmrpc-probe-${process.pid}.json`)
const hostScript = new URL('./duringHost.ts', import.meta.url).pathname
const client = createClient<ProbeHost>(
  spawnHost(process.execPath, ['--import', 'tsx', hostScript], {
    env: { ...process.env, PROBE_OUT: out },
    onSpawn: (child) => {
      if (process.env.PIN)
        execFileSync('taskset', ['-p', '-c', process.env.PIN, String(child.pid)], { stdio: 'ignore' })
    },
  }),
)
await client.connect()
for (let i = 0; i < 200; i++) await client.call.add(1_000_000 + i, 7)
const sent: Record<number, { t0: number; t1: number }> = {}
let streaming = true
const big = (async () => {
  let n = 0
  for await (const d of client.call.stream(64 * 1024 * 1024, 64 * 1024)) n += d.length
  streaming = false
  return n
})()
for (let k = 1; streaming; k++) {
  const t0 = now()
  const r = await client.call.add(k, 7)
  sent[k] = { t0, t1: now() }
  if (r !== k * 100 + 7) throw new Error(`probe: add(${k}, 7) gave ${r}`)
  await new Promise((resolve) => setTimeout(resolve, 1))
}
await big
client.close()
for (let i = 0; i < 100 && !existsQuietly(out); i++) await new Promise((resolve) => setTimeout(resolve, 50))
const { calls } = JSON.parse(readFileSync(out, 'utf8')) as {
  calls: Record<string, { inAt?: number; handledAt?: number; writeAt?: number; queued?: number }>
}
rmSync(out, { force: true })

const legs = [
  'total',
  'client -> host reads it',
  'read -> handler',
  'handler -> reply written',
  'written -> resolved',
  'stdout bytes ahead',
]
const rows: number[][] = []
for (const [k, s] of Object.entries(sent)) {
  const h = calls[k]
  if (h?.inAt === undefined || h.handledAt === undefined || h.writeAt === undefined) continue
  rows.push([
    s.t1 - s.t0,
    h.inAt - s.t0,
    h.handledAt - h.inAt,
    h.writeAt - h.handledAt,
    s.t1 - h.writeAt,
    h.queued ?? 0,
  ])
}
const q = (i: number, p: number) => {
  const xs = rows.map((r) => r[i]!).sort((a, b) => a - b)
  return xs[Math.floor(p * (xs.length - 1))]!
}
console.log(`${rows.length} calls during the stream (ms; the last row in bytes)`)
for (let i = 0; i < legs.length; i++)
  console.log(
    `${legs[i]!.padEnd(26)} p50 ${q(i, 0.5).toFixed(3)}  p90 ${q(i, 0.9).toFixed(3)}  p99 ${q(i, 0.99).toFixed(3)}  max ${q(i, 1).toFixed(3)}`,
  )

function existsQuietly(file: string): boolean {
  try {
    readFileSync(file)
    return true
  } catch {
    return false
  }
}
process.exit(0)
