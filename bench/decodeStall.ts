// The worst event-loop stall a peer can cause per MiB of message through the codec's decoding, for
// adversarial superjson metadata next to a plain payload. Each decode is synchronous, so its duration is
// the stall. Run: node --import tsx bench/decodeStall.ts
import { superjsonCodec } from '../src/shared/codec.js'

const codec = superjsonCodec()
const MiB = 1024 * 1024

/** Message text (`{"r":...,"x":...}`) of about 1 MiB for each workload. */
const workloads: Record<string, () => string> = {
  'plain JSON (no metadata)': () =>
    JSON.stringify({ r: Array.from({ length: 17_000 }, (_, i) => ({ id: i, name: `item ${i}`, ok: true })) }),
  'N paths into one Set': () => {
    const n = 60_000
    const eq: Record<string, string[]> = {}
    for (let i = 0; i < n; i++) eq[`0.${i}`] = [`1.${i}`]
    const r = [Array.from({ length: n }, () => ({})), Array.from({ length: n }, () => null)]
    return JSON.stringify({ r, x: { values: { 1: ['set'] }, referentialEqualities: eq, v: 1 } })
  },
  'values tree: one long path per leaf': () => {
    const depth = 900
    const width = 90_000
    let tree: unknown = Object.fromEntries(
      Array.from({ length: width }, (_, i) => [String(i), ['undefined']]),
    )
    for (let i = 0; i < depth - 1; i++) tree = { 0: tree }
    const r = '['.repeat(depth) + Array(width).fill('null').join(',') + ']'.repeat(depth)
    return `{"r":${r},"x":${JSON.stringify({ values: tree, v: 1 })}}`
  },
  '40-level chain of shared references, padded': () => {
    let node: Record<string, unknown> = { end: 'x'.repeat(MiB - 4096) }
    for (let i = 0; i < 40; i++) node = { l: node, r: node }
    const { json, meta } = codec.encode(node)
    return JSON.stringify({ r: json, x: meta })
  },
  'BigInts at MAX_BIGINT_DIGITS': () => {
    const r = Array.from({ length: 250 }, () => '9'.repeat(4096))
    return JSON.stringify({
      r,
      x: { values: Object.fromEntries(r.map((_, i) => [String(i), ['bigint']])), v: 1 },
    })
  },
}

console.log(
  `node ${process.version}: worst decode stall per MiB of message (JSON.parse + decode, worst of 5 after a warm-up)`,
)
for (const [name, make] of Object.entries(workloads)) {
  const text = make()
  let worst = 0
  // One warm-up run first: the first decode also pays for compiling the decoder.
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now()
    const msg = JSON.parse(text) as { r: unknown; x?: unknown }
    codec.decode(msg.r, msg.x)
    if (i > 0) worst = Math.max(worst, performance.now() - t0)
  }
  const mib = Buffer.byteLength(text) / MiB
  console.log(`${name.padEnd(46)} ${mib.toFixed(2)} MiB  ${(worst / mib).toFixed(1)} ms/MiB`)
}
