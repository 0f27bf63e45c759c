/**
 * What envelope tracing costs per envelope. Off, nothing is wrapped: the session talks to the transport
 * itself, so "off" below is the bare transport and the cost is zero by construction. On, every envelope
 * passes the trace wrapper, which reads kind/id/method without decoding the payload and formats a line.
 *
 * Run: node --import tsx bench/trace.ts   (in-process; no host needed)
 */
import { traceTransport } from '../src/shared/trace.js'
import type { Transport, TransportSink } from '../src/shared/transport.js'

const sink: TransportSink = { message() {}, invalid() {}, closed() {}, drain() {} }

function bare(kind: 'text' | 'object'): Transport {
  return { kind, maxMessageBytes: 1_048_576, start() {}, send: () => true, close() {} }
}

function measure(
  label: string,
  transport: Transport,
  messages: Array<string | object>,
  rounds: number,
): number {
  transport.start(sink)
  for (let i = 0; i < 1_000; i++) transport.send(messages[i % messages.length]!) // warm up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < rounds; i++) transport.send(messages[i % messages.length]!)
  const ns = Number(process.hrtime.bigint() - t0) / rounds
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(9)} ns/envelope`)
  return ns
}

const calls = Array.from({ length: 100 }, (_, id) => ({ t: 'call', id, p: 'math.add', a: [id, 2] }))
const replies = calls.map(({ id }) => ({ t: 'ok', id, r: id + 2 }))
const small = [...calls, ...replies]
const smallText = small.map((e) => JSON.stringify(e))
const chunkText = [JSON.stringify({ t: 'chunk', k: 1, of: 'ok', id: 7, d: 'x'.repeat(1_000_000), end: 1 })]
let lines = 0
const log = () => {
  lines++
}
const on = (t: Transport) => traceTransport(t, { side: 'bench', log, byteLength: Buffer.byteLength })

console.log('trace off = the bare transport (nothing is wrapped); trace on = traceTransport, log discarded\n')
const rows: Array<[string, Array<string | object>, 'text' | 'object', number]> = [
  ['small text envelopes (stdio host)', smallText, 'text', 200_000],
  ['small object envelopes (Port client)', small, 'object', 200_000],
  ['1 MB chunk, text (stdio host)', chunkText, 'text', 200],
]
for (const [label, messages, kind, rounds] of rows) {
  const off = measure(`${label}, off`, bare(kind), messages, rounds)
  const onNs = measure(`${label}, on`, on(bare(kind)), messages, rounds)
  console.log(`${''.padEnd(44)} +${(onNs - off).toFixed(0)} ns when on\n`)
}
console.log(`(${lines} trace lines formatted)`)
