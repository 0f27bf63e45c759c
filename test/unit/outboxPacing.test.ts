import { describe, expect, it } from 'vitest'
import { jsonCodec } from '../../src/shared/codec.js'
import { toWireError } from '../../src/shared/errors.js'
import { BATCH_FLUSH_BYTES, BULK_TURN_BYTES, Outbox } from '../../src/shared/outbox.js'
import { Producer } from '../../src/shared/producer.js'
import type { Envelope } from '../../src/shared/protocol.js'
import type { Transport } from '../../src/shared/transport.js'
import { utf8Length } from '../../src/shared/utf8.js'
import { recorder } from './outboxRecorder.js'

/**
 * How the outbox paces what it sends (issue 17's in-flight and during-a-stream rows): when a batch leaves,
 * what goes as its own message, and in which order pieces of concurrent large transfers go. Each test
 * asserts the order or the number of messages, never a time.
 */

/** A text transport with the browser's 1 MiB limit that records each message; `full` makes send() say wait. */
function wide(full = false) {
  const sent: string[] = []
  const transport: Transport = {
    kind: 'text',
    maxMessageBytes: 1024 * 1024,
    start() {},
    send(m) {
      sent.push(m as string)
      return !full
    },
    close() {},
  }
  const outbox = new Outbox(transport, utf8Length)
  outbox.stringParts = true
  return { sent, outbox }
}

/** recorder()'s outbox over a transport that takes each message but says wait, so that transfers queue up. */
function slow(kind: 'text' | 'object') {
  const r = recorder(kind)
  const send = r.transport.send.bind(r.transport)
  r.transport.send = (m, bytes) => {
    send(m, bytes)
    return false
  }
  return r
}

/** Plays the transport's drain events until `until` settles. */
async function drive(outbox: Outbox, until: Promise<unknown>): Promise<void> {
  let settled = false
  void until.then(() => (settled = true))
  for (let i = 0; i < 100_000 && !settled; i++) {
    outbox.drained()
    await Promise.resolve()
  }
  await until
}

const ok = (id: number, r: unknown) => ({ t: 'ok', id, r }) as unknown as Envelope
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('Outbox pacing', () => {
  it(`writes an envelope of ${BATCH_FLUSH_BYTES} bytes or more at once as its own message, after what was batched`, async () => {
    const { sent, outbox } = wide()
    outbox.send(ok(1, 'small'))
    outbox.send(ok(2, 'x'.repeat(BATCH_FLUSH_BYTES)))
    // Both are written before the end of the tick, each as its own message, in the order sent.
    expect(sent.map((m) => JSON.parse(m).id)).toEqual([1, 2])
    outbox.send(ok(3, 'small'))
    await tick()
    expect(sent.map((m) => JSON.parse(m).id)).toEqual([1, 2, 3])
  })

  it('lets a stream producer of large items make one item beyond the one that filled the transport, then wait', async () => {
    const { sent, outbox } = wide(true) // every write fills the transport: wait for drain
    const producer = new Producer(16, 5, undefined, 'stream "big"')
    const item = 'y'.repeat(64 * 1024)
    async function* items() {
      for (let i = 0; i < 16; i++) yield item
    }
    const sink = {
      outbox,
      isClosed: false,
      o: { codec: jsonCodec(), log() {} },
      toWire: (e: unknown) => toWireError(e, { stack: false, encode: (value) => ({ json: value }) }),
    }
    const done = producer.run(items(), sink)
    await tick()
    // The first item filled the transport; the second waits in the transport's queue (so the pipe never
    // waits for the producer); no third is made before the drain. Each item is its own message.
    expect(sent.map((m) => JSON.parse(m))).toMatchObject([
      { t: 'next', id: 5 },
      { t: 'next', id: 5 },
    ])
    outbox.drained()
    await tick()
    expect(sent).toHaveLength(4)
    producer.cancel()
    outbox.drained()
    await done
  })

  for (const kind of ['text', 'object'] as const) {
    it(`sends large transfers under ${BULK_TURN_BYTES} bytes whole, one after another, over a ${kind} transport`, async () => {
      const { outbox, parsed } = slow(kind) // 4 KiB limit: 20,000 units go as several str pieces
      const a = outbox.send(ok(1, 'a'.repeat(20_000)), 'own')
      const b = outbox.send(ok(2, 'b'.repeat(20_000)), 'own')
      await drive(outbox, Promise.all([a, b]))
      const ids = parsed().map((e) => (e as { id: number }).id)
      expect(parsed().filter((e) => e.t === 'str').length).toBeGreaterThan(8)
      // All of call 1 (its pieces and its head) before anything of call 2.
      expect(ids).toEqual([...ids.filter((id) => id === 1), ...ids.filter((id) => id === 2)])
    })
  }

  it(`lets a transfer over ${BULK_TURN_BYTES} bytes keep its turn for that much, then take turns`, async () => {
    const { outbox, parsed, sent } = slow('text')
    const big = outbox.send(ok(1, 'a'.repeat(BULK_TURN_BYTES + 200_000)), 'own')
    const small = outbox.send(ok(2, 'b'.repeat(20_000)), 'own')
    await drive(outbox, Promise.all([big, small]))
    const all = parsed() as Array<Envelope & { id: number; d?: string }>
    const firstOf2 = all.findIndex((e) => e.id === 2)
    // Bytes of whole messages (ASCII here), as the turn counts them.
    const before = sent.slice(0, firstOf2).reduce((n: number, m) => n + (m as string).length, 0)
    // The big one sent one turn (at least BULK_TURN_BYTES, at most one 4 KiB piece more) before the small
    // one got its turn, and the small one finished first.
    expect(before).toBeGreaterThanOrEqual(BULK_TURN_BYTES)
    expect(before).toBeLessThan(BULK_TURN_BYTES + 4096)
    expect(all.findLastIndex((e) => e.id === 2)).toBeLessThan(all.findLastIndex((e) => e.id === 1))
  })
})
