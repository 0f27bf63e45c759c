import { describe, expect, it } from 'vitest'
import { superjsonCodec } from '../src/shared/codec.js'
import { flattenHandlers } from '../src/shared/handlers.js'
import { Session, type SessionOptions } from '../src/shared/session.js'
import { memoryPair, sessionOptions } from './memoryTransport.js'

const pattern = (n: number, seed = 1) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff
  return out
}

function connect(
  handlers: object,
  over: {
    host?: Partial<SessionOptions>
    client?: Partial<SessionOptions>
    max?: number
    backpressure?: boolean
  } = {},
) {
  const pair = memoryPair({ maxMessageBytes: over.max ?? 64 * 1024, backpressure: over.backpressure })
  const logs: string[] = []
  const codec = superjsonCodec({ blobThreshold: 1024 })
  const client = new Session(pair.a, sessionOptions('client', { codec, ...over.client }, logs))
  const host = new Session(
    pair.b,
    sessionOptions('host', { codec, handlers: flattenHandlers(handlers), ...over.host }, logs),
  )
  host.start()
  client.start()
  const kinds = () => pair.sent.map((m) => (JSON.parse(m.text) as { t?: string }).t ?? 'batch')
  return { client, host, pair, logs, kinds }
}

describe('binary parts (bin envelopes)', () => {
  it('carries large binary values as bin pieces, byte-exact, both ways, inside other values', async () => {
    const { client, pair, kinds } = connect({
      echo: (v: unknown) => v,
    })
    const value = {
      a: pattern(300_000, 1),
      list: [pattern(5, 2), new Uint8Array(0)],
      buf: pattern(70_000, 3).buffer,
      when: new Date(4),
    }
    const back = (await client.call('echo', [value])) as typeof value
    expect(back.a).toEqual(value.a)
    expect(back.list[0]).toEqual(value.list[0])
    expect(back.list[1]).toEqual(new Uint8Array(0))
    expect(new Uint8Array(back.buf)).toEqual(new Uint8Array(value.buf))
    expect(back.when).toEqual(new Date(4))
    // 370 KB of binary in 64 KiB messages: pieces both ways, and no message over the limit.
    expect(kinds().filter((k) => k === 'bin').length).toBeGreaterThanOrEqual(2 * Math.ceil(370_000 / 49_000))
    for (const m of pair.sent) expect(Buffer.byteLength(m.text)).toBeLessThanOrEqual(64 * 1024)
  })

  it('keeps small binary values inline (no bin pieces)', async () => {
    const { client, kinds } = connect({ echo: (v: unknown) => v })
    expect(await client.call('echo', [pattern(100)])).toEqual(pattern(100))
    expect(kinds()).not.toContain('bin')
  })

  it('keeps stream items with binary parts in order', async () => {
    const { client } = connect({
      async *blocks(n: number) {
        for (let i = 0; i < n; i++) yield i % 2 ? pattern(10, i) : pattern(100_000, i)
      },
    })
    const got: Uint8Array[] = []
    for await (const b of client.call('blocks', [6]) as AsyncIterable<Uint8Array>) got.push(b)
    expect(got).toEqual(Array.from({ length: 6 }, (_, i) => (i % 2 ? pattern(10, i) : pattern(100_000, i))))
  })

  it('uploads binary parts through an argument stream', async () => {
    const { client } = connect({
      async total(items: AsyncIterable<Uint8Array>) {
        let n = 0
        for await (const b of items) n += b.length
        return n
      },
    })
    async function* source() {
      for (let i = 0; i < 4; i++) yield pattern(200_000, i)
    }
    expect(await client.call('total', [source()])).toBe(800_000)
  })

  it('stops sending the parts of a result whose call was aborted', async () => {
    const { client, pair, host } = connect({ big: () => pattern(8 * 1024 * 1024) }, { backpressure: true })
    const ac = new AbortController()
    // Abort as soon as the first binary piece reaches the client: no timing involved.
    const sink = pair.a.sink()!
    const deliver = sink.message.bind(sink)
    sink.message = (m) => {
      if ((m as { t?: string }).t === 'bin') ac.abort()
      deliver(m)
    }
    const call = client.call('big', [], { signal: ac.signal })
    await expect(Promise.resolve(call).then(() => 'resolved')).rejects.toMatchObject({ code: 'ABORTED' })
    await new Promise((r) => setTimeout(r, 50))
    const pieces = pair.sent.filter((m) => m.text.startsWith('{"t":"bin"')).length
    expect(pieces).toBeGreaterThan(0)
    expect(pieces).toBeLessThan(20) // of about 170
    expect(host.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
    expect(client.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
  })

  it('refuses parts over the assembly limit with TOO_LARGE, and goes on', async () => {
    const { client } = connect(
      { big: (n: number) => pattern(n), ping: () => 'pong' },
      { client: { maxReassembledBytes: 1024 * 1024 } },
    )
    await expect(client.call('big', [2 * 1024 * 1024])).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringContaining('announced 2.0 MiB of binary data'),
    })
    expect(await client.call('ping', [])).toBe('pong')
    expect(await client.call('big', [512 * 1024])).toEqual(pattern(512 * 1024))
  })

  it('fails the call when the pieces do not match what was announced', async () => {
    const { client, pair } = connect({})
    const call = client.call('x', [])
    pair.inject('a', { t: 'ok', id: 1, r: 0, x: { values: [['custom', 'u8b']] }, b: [4] })
    pair.inject('a', { t: 'bin', of: 'ok', id: 1, i: 0, d: 'AAAAAAAA', end: 1 })
    await expect(call).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
      message: expect.stringContaining('binary part 0 is longer than the 4 bytes announced'),
    })
  })
})
