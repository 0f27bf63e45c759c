// Measures what the codec costs per small message: the plain-JSON fast path against superjson's full
// serialize/deserialize, both followed by JSON.stringify/parse as on the wire.
// Run: node --import tsx bench/codec.ts
import { SuperJSON } from 'superjson'
import { superjsonCodec } from '../src/shared/codec.js'

const codec = superjsonCodec()
const sj = new SuperJSON()
const values: Record<string, unknown> = {
  'args [1, 2]': [1, 2],
  'small object': [{ id: 42, name: 'report.pdf', tags: ['a', 'b'], ok: true, size: 1234.5 }],
  'object with a Date (needs superjson)': [{ id: 42, at: new Date(0) }],
}

function time(fn: () => void, n: number): number {
  for (let i = 0; i < n / 10; i++) fn() // warm up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  return Number(process.hrtime.bigint() - t0) / n
}

const N = 200_000
console.log(
  `node ${process.version}, ${N} round trips each, ns per encode+stringify+parse+decode (median of 5)`,
)
for (const [name, v] of Object.entries(values)) {
  const runs = (fn: () => void) => {
    const r = Array.from({ length: 5 }, () => time(fn, N)).sort((a, b) => a - b)
    return r[2]!
  }
  const viaCodec = runs(() => {
    const { json, meta } = codec.encode(v)
    const back = JSON.parse(JSON.stringify({ a: json, x: meta }))
    codec.decode(back.a, back.x)
  })
  const viaSuperjson = runs(() => {
    const out = sj.serialize(v)
    const back = JSON.parse(JSON.stringify(out))
    sj.deserialize(back)
  })
  const plain = runs(() => JSON.parse(JSON.stringify({ a: v })))
  console.log(
    `${name.padEnd(38)} nmrpc codec ${viaCodec.toFixed(0).padStart(6)}   superjson ${viaSuperjson.toFixed(0).padStart(6)}   JSON only ${plain.toFixed(0).padStart(6)}`,
  )
}
