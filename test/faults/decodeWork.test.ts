// Values and metadata shaped for work, sent as raw frames to a real host process: each call is answered
// (decoded, or refused with BAD_REQUEST naming the limit) and the host stays responsive. Before the
// metadata was applied in linear time, the first of these held the host for hours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { superjsonCodec } from '../../src/shared/codec.js'
import { type RawHost, startRawHost } from './rawHost.js'

const hello = { t: 'hello', v: 1, impl: 'faults/decodeWork' }
let nextId = 5000

async function call(host: RawHost, p: string, a: unknown, x?: unknown) {
  const id = nextId++
  host.send({ t: 'call', id, p, a, ...(x === undefined ? {} : { x }) })
  return host.reply(
    (e) => e.id === id && (e.t === 'ok' || e.t === 'err'),
    `a reply to ${p} (id ${id})`,
    60_000,
  )
}

async function expectAlive(host: RawHost) {
  expect(await call(host, 'ping', [])).toMatchObject({ t: 'ok', r: 'pong' })
}

/** Metadata for `levels` objects each holding the next twice, deduplicated as superjson writes it. */
function sharedChainWire(levels: number) {
  let node: Record<string, unknown> = { end: true }
  for (let i = 0; i < levels; i++) node = { l: node, r: node }
  const { json, meta } = superjsonCodec().encode([node])
  return { json, meta }
}

describe('work-shaped input to a real host', () => {
  let host: RawHost
  beforeAll(async () => {
    host = startRawHost()
    host.send(hello)
    await host.reply((e) => e.t === 'hello', "the host's hello")
  })
  afterAll(async () => {
    await host.dispose()
  })

  it('a 40-level chain of shared references (2^40 paths) is echoed back, still shared', async () => {
    const { json, meta } = sharedChainWire(40)
    const reply = await call(host, 'echo', json, meta)
    expect(reply.t).toBe('ok')
    const back = superjsonCodec().decode(reply.r, reply.x) as Record<string, Record<string, unknown>>
    let node = back
    for (let i = 0; i < 40; i++) {
      expect(node.l).toBe(node.r)
      node = node.l as Record<string, Record<string, unknown>>
    }
    expect(node).toEqual({ end: true })
    await expectAlive(host)
  })

  it('100,000 shared-reference paths into one Set (superjson: 5e9 Set steps) are answered', async () => {
    const n = 100_000
    const json = [[Array.from({ length: n }, (_, i) => ({ i })), Array.from({ length: n }, () => null)]]
    const eq: Record<string, string[]> = {}
    for (let i = 0; i < n; i++) eq[`0.0.${i}`] = [`0.1.${i}`]
    const reply = await call(host, 'length', json, {
      values: { '0.1': ['set'] },
      referentialEqualities: eq,
      v: 1,
    })
    // length() of a list of [list, Set]: the handler ran on the decoded value.
    expect(reply).toMatchObject({ t: 'ok', r: 2 })
    await expectAlive(host)
  })

  it('a values tree that resolves one long path per leaf is answered', async () => {
    const depth = 900
    const width = 50_000
    const text = '['.repeat(depth) + Array(width).fill('null').join(',') + ']'.repeat(depth)
    let tree: unknown = Object.fromEntries(
      Array.from({ length: width }, (_, i) => [String(i), ['undefined']]),
    )
    for (let i = 0; i < depth - 1; i++) tree = { 0: tree }
    const reply = await call(host, 'length', [JSON.parse(text)], { values: { 0: tree }, v: 1 })
    // Decoded first (the metadata's work is done), then refused by the depth check.
    expect(reply).toMatchObject({ t: 'err', e: { code: 'BAD_REQUEST' } })
    expect(JSON.stringify(reply)).toContain('maxDepth')
    await expectAlive(host)
  })

  it('a BigInt of a million digits is refused with BAD_REQUEST naming MAX_BIGINT_DIGITS', async () => {
    const reply = await call(host, 'echo', ['9'.repeat(1_000_000)], { values: { 0: ['bigint'] }, v: 1 })
    expect(reply).toMatchObject({ t: 'err', e: { code: 'BAD_REQUEST' } })
    expect(JSON.stringify(reply)).toContain('MAX_BIGINT_DIGITS')
    await expectAlive(host)
  })

  it('an undefined result is sent as PROTOCOL.md shows: an ok without r or x', async () => {
    const reply = await call(host, 'echo', [])
    expect(Object.keys(reply).sort()).toEqual(['id', 't'])
  })
})
