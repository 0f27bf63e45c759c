import { describe, expect, it } from 'vitest'
import { blobKey } from '../../src/shared/blobs.js'
import { BROWSER_OUTBOUND_LIMIT } from '../../src/shared/limits.js'
import { OBJECT_LIMIT_CAP, Outbox, PIECE_BYTES } from '../../src/shared/outbox.js'
import type { Envelope } from '../../src/shared/protocol.js'
import { utf8Length } from '../../src/shared/utf8.js'
import { assertWithin } from '../messageSize.js'
import { LIMIT, recorder } from './outboxRecorder.js'

describe('Outbox', () => {
  for (const kind of ['text', 'object'] as const) {
    it(`ties every chunk and str piece to its call and stream, over a ${kind} transport`, async () => {
      const { outbox, parsed } = recorder(kind)
      // A large string leaves as str pieces; the many small strings left behind make the head chunked.
      const small = Array.from({ length: 600 }, (_, i) => `item ${i}`)
      const env = { t: 'next', id: 7, s: 3, r: ['x'.repeat(3 * LIMIT), ...small] } as unknown as Envelope
      await outbox.send(env, 'next:7:3')
      const pieces = parsed().filter((e) => e.t === 'chunk' || e.t === 'str')
      expect(new Set(pieces.map((p) => p.t))).toEqual(new Set(['chunk', 'str']))
      for (const p of pieces) expect(p).toMatchObject({ of: 'next', id: 7, s: 3 })
      // Each series ends once, with its last piece.
      for (const t of ['chunk', 'str']) {
        const series = pieces.filter((p) => p.t === t) as Array<{ end?: 1 }>
        expect(series.map((p) => p.end === 1)).toEqual(series.map((_, i) => i === series.length - 1))
      }
    })
  }

  it('over an object transport, sends whole what fits the limit in string units, and cuts pieces by units', async () => {
    const { outbox, sent } = recorder('object')
    outbox.send({ t: 'ok', id: 1, r: 'é'.repeat(LIMIT - 200) } as unknown as Envelope)
    outbox.send({
      t: 'ok',
      id: 2,
      r: ['\u0001'.repeat(LIMIT / 2), 'x'.repeat(LIMIT / 4)],
    } as unknown as Envelope)
    outbox.flush()
    // Each goes as one message although its JSON is 1.9 and 3.25 times the limit in bytes (a Port
    // serialises it; at most 6 bytes a unit): counted at 6 bytes a unit, each went as several.
    expect(sent.map((m) => (m as { id?: number }).id)).toEqual([1, 2])
    expect(utf8Length(JSON.stringify(sent[0]))).toBeGreaterThan(1.9 * LIMIT)
    expect(utf8Length(JSON.stringify(sent[1]))).toBeGreaterThan(3.2 * LIMIT)
    sent.length = 0
    await outbox.send({ t: 'ok', id: 3, r: 'x'.repeat(2 * LIMIT) } as unknown as Envelope)
    const pieces = sent.filter((m) => (m as { t: string }).t === 'str') as Array<{ d: string }>
    expect(pieces.length).toBe(3) // 8,192 units in pieces of up to 4,096 less their head
    for (const m of sent) assertWithin('object', m, LIMIT, 'sent')
  })

  for (const kind of ['text', 'object'] as const)
    it(`cuts str and chunk pieces of at most PIECE_BYTES whatever the limit, over a ${kind} transport`, async () => {
      const { sent, transport } = recorder(kind)
      ;(transport as { maxMessageBytes: number }).maxMessageBytes = 1024 * 1024
      const outbox = new Outbox(transport, utf8Length)
      outbox.stringParts = true
      const big = 'é'.repeat(200_000) + 'x'.repeat(1_200_000)
      await outbox.send({ t: 'ok', id: 1, r: big } as unknown as Envelope)
      const strs = sent.filter((m) =>
        (typeof m === 'string' ? m : JSON.stringify(m)).startsWith('{"t":"str"'),
      )
      for (const m of strs) assertWithin(kind, m, PIECE_BYTES, 'piece')
      expect(strs.length).toBeGreaterThanOrEqual(Math.ceil(1_400_000 / PIECE_BYTES))
      const text = (m: string | object) =>
        (JSON.parse(typeof m === 'string' ? m : JSON.stringify(m)) as { d: string }).d
      expect(strs.map(text).join('')).toBe(big)
      sent.length = 0
      // No string to take out: the envelope's own text is chunked, in pieces of the same size.
      const many = Array.from({ length: 120_000 }, (_, i) => `item ${i}`)
      await outbox.send({ t: 'ok', id: 2, r: many } as unknown as Envelope)
      const chunks = sent.filter((m) =>
        (typeof m === 'string' ? m : JSON.stringify(m)).startsWith('{"t":"chunk"'),
      )
      expect(chunks.length).toBeGreaterThan(5)
      for (const m of chunks)
        expect(utf8Length(typeof m === 'string' ? m : JSON.stringify(m))).toBeLessThanOrEqual(
          kind === 'text' ? PIECE_BYTES : 2 * PIECE_BYTES,
        )
      expect(JSON.parse(chunks.map(text).join(''))).toEqual({ t: 'ok', id: 2, r: many })
    })

  it('over an object transport, caps the limit at a sixth of what Chromium takes in one message (64 MiB)', async () => {
    const { sent, transport } = recorder('object')
    ;(transport as { maxMessageBytes: number }).maxMessageBytes = BROWSER_OUTBOUND_LIMIT
    const capped = new Outbox(transport, utf8Length)
    capped.stringParts = true
    await capped.send({ t: 'ok', id: 1, r: 'x'.repeat(OBJECT_LIMIT_CAP) } as unknown as Envelope)
    expect(sent.length).toBeGreaterThan(1) // with its envelope, over the cap: in pieces
    for (const m of sent) assertWithin('object', m, OBJECT_LIMIT_CAP, 'sent')
    for (const m of sent) expect(utf8Length(JSON.stringify(m))).toBeLessThanOrEqual(BROWSER_OUTBOUND_LIMIT)
  })

  it('sends a text over limit/3 that fits as one message, reading its payload once', () => {
    const { outbox, sent } = recorder('text')
    let reads = 0
    // Strings under the string-part threshold (limit/8), 3,000 units together: over limit/3, under limit.
    const payload = {
      get a() {
        reads++
        return 'a'.repeat(500)
      },
      list: Array.from({ length: 5 }, () => 'b'.repeat(500)),
    }
    outbox.send({ t: 'ok', id: 1, r: payload } as unknown as Envelope)
    outbox.flush()
    expect(sent).toHaveLength(1)
    expect((sent[0] as string).length).toBeGreaterThan(LIMIT / 3)
    expect(reads).toBe(1) // JSON.stringify read it; no search for large strings walked it again
  })

  it('searches a text that does not fit for large strings once, then chunks it', async () => {
    const { outbox, parsed } = recorder('text')
    let reads = 0
    const payload = {
      get a() {
        reads++
        return 'a'.repeat(400)
      },
      list: Array.from({ length: 20 }, () => 'b'.repeat(400)),
    }
    await outbox.send({ t: 'ok', id: 2, r: payload } as unknown as Envelope)
    expect(parsed().every((e) => e.t === 'chunk')).toBe(true)
    expect(reads).toBe(2) // once by JSON.stringify, once by the search
  })

  it('hands a text transport the UTF-8 size of each message it counted, and only exact ones', async () => {
    const { outbox, transport } = recorder('text')
    const counted: Array<{ m: string; bytes: number | undefined }> = []
    transport.send = (m, bytes) => {
      counted.push({ m: m as string, bytes })
      return true
    }
    const mixed = 'aé→😀"\\'.repeat(200) // 1,800 units, 2,600+ bytes: over limit/3
    await outbox.send({ t: 'ok', id: 1, r: mixed.repeat(3) } as unknown as Envelope, 'own') // string parts
    await outbox.send({
      t: 'ok',
      id: 2,
      r: [mixed.slice(0, 900), ...mixed.slice(0, 3000)],
    } as unknown as Envelope) // chunks
    outbox.send({ t: 'ok', id: 3, r: ['a'.repeat(700), 'é'.repeat(700)] } as unknown as Envelope) // fits once counted
    outbox.flush()
    outbox.send({ t: 'ok', id: 4, r: 'é' } as unknown as Envelope) // estimated, not counted
    outbox.send({ t: 'ok', id: 5, r: 'a' } as unknown as Envelope)
    outbox.flush()
    await outbox.sendWithBlobs(
      { t: 'ok', id: 6, b: [5000] } as unknown as Envelope & { id: number },
      [new Uint8Array(5000)],
      'ok:6:',
    )
    for (const { m, bytes } of counted) if (bytes !== undefined) expect(bytes).toBe(utf8Length(m))
    const given = counted.filter((c) => c.bytes !== undefined)
    expect(new Set(given.map((c) => JSON.parse(c.m).t))).toEqual(new Set(['str', 'chunk', 'ok', 'bin']))
    // Small envelopes are only bounded (3 bytes a unit): the transport counts them, once.
    expect(counted.filter((c) => c.bytes === undefined).map((c) => c.m)).toEqual([
      '[{"t":"ok","id":4,"r":"é"},{"t":"ok","id":5,"r":"a"}]',
      '{"t":"ok","id":6,"b":[5000]}',
    ])
  })

  for (const kind of ['text', 'object'] as const) {
    for (const large of ['chunked', 'string parts'] as const) {
      it(`cancels the ${large} pieces of an envelope sent with key 'own' by its call's key, over a ${kind} transport`, async () => {
        const { outbox, sent, transport } = recorder(kind)
        transport.send = (m) => {
          sent.push(m)
          return false // the peer reads slowly: one piece per drain
        }
        // One large string (string parts), or many small ones that only chunking makes fit.
        const r =
          large === 'chunked' ? Array.from({ length: 900 }, (_, i) => `item ${i}`) : 'x'.repeat(3 * LIMIT)
        const done = outbox.send({ t: 'ok', id: 5, r } as unknown as Envelope, 'own')
        expect(done).toBeInstanceOf(Promise)
        outbox.cancel(blobKey('ok', 5, undefined))
        for (let i = 0; i < 100; i++) outbox.drained() // uncancelled, the rest would go out now
        await done
        expect(sent).toHaveLength(1) // the piece written before the cancel, nothing after it
      })
    }
  }
})
