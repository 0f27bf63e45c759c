import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../../src/shared/ledger.js'
import { OPEN_MESSAGE_COST } from '../../src/shared/limits.js'
import { type Envelope, type EnvelopeKind, parseEnvelope } from '../../src/shared/protocol.js'
import { Reassembler } from '../../src/shared/reassembler.js'
import { holdsLargeString, placeStrings, StringInbox, takeStrings } from '../../src/shared/stringParts.js'
import { assertWithin } from '../messageSize.js'
import { LIMIT, recorder } from './outboxRecorder.js'
import { runs } from './runs.js'

/**
 * Receives what was sent as the peer would: each message as its JSON text (checked against the limit),
 * parsed once; `str` pieces into a StringInbox, the envelope through placeStrings.
 */
function receive(
  sent: Array<string | object>,
  ledger = new Ledger(Number.POSITIVE_INFINITY),
  kind: 'text' | 'object' = 'text',
) {
  const inbox = new StringInbox(1 << 30, ledger)
  const chunks = new Reassembler(1 << 30, ledger)
  const out: Envelope[] = []
  for (const m of sent) {
    const text = typeof m === 'string' ? m : JSON.stringify(m)
    assertWithin(kind, m, LIMIT, 'receive')
    let env = parseEnvelope(JSON.parse(text))
    if (env.t === 'chunk') {
      // The envelope itself may still be over the limit (small strings left in it): chunked after its parts.
      const r = chunks.add(env)
      if (r.kind !== 'complete') continue
      env = parseEnvelope(JSON.parse(r.text))
    }
    if (env.t === 'str') expect(inbox.add(env).kind).toMatch(/partial|held/)
    else {
      if ((env as { u?: unknown }).u) expect(placeStrings(env, inbox)).toBeUndefined()
      out.push(env)
    }
  }
  return { out, inbox }
}

/** Every escape class JSON has, lone surrogates of both halves, pairs, and plain and multi-byte text. */
const unit = fc.constantFrom(
  'a',
  'z',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  '\u007f',
  'é',
  '€',
  '\u2028',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  '/',
)
/** Sizes around each boundary: the threshold (LIMIT / 8), one piece, a few pieces. */
const size = fc.constantFrom(511, 512, 513, 680, 681, 682, 4000, 4096, 4097, 12000)
const bigString = fc.tuple(fc.array(unit, { minLength: 1, maxLength: 40 }), size).map(([units, n]) => {
  let s = ''
  for (let i = 0; s.length < n; i++) s += units[i % units.length]
  return s
})

describe('string parts', () => {
  for (const kind of ['text', 'object'] as const)
    it(`round-trips large strings nested in a payload over a ${kind} transport, each message within the limit`, () => {
      fc.assert(
        fc.property(fc.array(bigString, { minLength: 1, maxLength: 4 }), fc.string(), (strings, small) => {
          const value = { list: strings, nested: { small, first: strings[0], n: 1 }, __proto__: strings[0] }
          const env = JSON.parse(JSON.stringify({ t: 'ok', id: 7, r: value })) as Envelope
          const before = JSON.stringify(env)
          const { sent, outbox } = recorder(kind)
          outbox.send(env)
          outbox.flush()
          const { out, inbox } = receive(sent, undefined, kind)
          expect(out).toHaveLength(1)
          expect(out[0]).toEqual(JSON.parse(before))
          // The sender's envelope is left as it was, and nothing stays held at the receiver.
          expect(JSON.stringify(env)).toBe(before)
          expect(inbox.open).toBe(0)
          expect(inbox.pendingBytes).toBe(0)
        }),
        { numRuns: runs(60) },
      )
    })

  it('takes no string from an envelope without one at the threshold, and at most 16 from one', () => {
    expect(takeStrings({ t: 'ok', id: 1, r: ['x'.repeat(99)] }, 100)).toBeUndefined()
    const many = takeStrings({ t: 'ok', id: 1, r: Array.from({ length: 20 }, () => 'y'.repeat(100)) }, 100)
    expect(many?.strings).toHaveLength(16)
    expect(((many?.head as { r?: unknown[] } | undefined)?.r ?? []).filter((v) => v === 0)).toHaveLength(16)
  })

  it('refuses an envelope whose references lead nowhere, and frees what it referred to', () => {
    const inbox = new StringInbox(1 << 20)
    expect(inbox.add({ t: 'str', k: 1, of: 'ok', id: 3, d: 'hello', end: 1 }).kind).toBe('held')
    const env = { t: 'ok', id: 3, r: { a: 1 }, u: [[1, 'r', 'a']] } as Envelope
    expect(placeStrings(env, inbox)).toMatch(/does not lead to a placeholder 0/)
    expect(inbox.open).toBe(0)
    const missing = { t: 'ok', id: 3, r: 0, u: [[9, 'r']] } as Envelope
    expect(placeStrings(missing, inbox)).toMatch(/string part 9, which did not arrive/)
    const outside = { t: 'ok', id: 3, r: 0, id2: 0, u: [[1, 'id2']] } as unknown as Envelope
    inbox.add({ t: 'str', k: 1, d: 'x', end: 1 })
    expect(placeStrings(outside, inbox)).toMatch(/does not start at its payload "r"/)
  })

  it('charges held strings to the ledger and counts them as open, so a flood of finished parts is capped', () => {
    const ledger = new Ledger(1 << 20)
    const inbox = new StringInbox(1 << 20, ledger, 4)
    for (let k = 0; k < 4; k++) expect(inbox.add({ t: 'str', k, d: 'abc', end: 1 }).kind).toBe('held')
    expect(ledger.snapshot().partial).toBe(4 * (3 + OPEN_MESSAGE_COST))
    expect(inbox.add({ t: 'str', k: 9, d: 'abc' })).toMatchObject({ kind: 'refused', why: 'open' })
    inbox.dropOwner('ok:1:')
    inbox.clear()
    expect(ledger.snapshot().partial).toBe(0)
  })

  it('bounds one message by all of its strings together, each counted as JSON text with its quotes', () => {
    const ledger = new Ledger(1 << 20)
    const inbox = new StringInbox(100, ledger)
    // Two strings of one reply, each under the limit alone, 102 units as JSON text together.
    expect(inbox.add({ t: 'str', k: 1, of: 'ok', id: 7, d: 'a'.repeat(49), end: 1 }).kind).toBe('held')
    expect(inbox.add({ t: 'str', k: 2, of: 'ok', id: 7, d: 'b'.repeat(30) }).kind).toBe('partial')
    expect(inbox.add({ t: 'str', k: 2, of: 'ok', id: 7, d: 'b'.repeat(19), end: 1 })).toEqual({
      kind: 'refused',
      size: 102,
      why: 'size',
    })
    // What that reply held is freed, and its refused string's later pieces are dropped unread.
    expect(inbox.open).toBe(0)
    expect(ledger.snapshot().partial).toBe(0)
    // A string exactly at the limit as JSON text (98 units and its two quotes) fits.
    expect(inbox.add({ t: 'str', k: 3, of: 'ok', id: 8, d: 'c'.repeat(98), end: 1 }).kind).toBe('held')
    expect(inbox.add({ t: 'str', k: 4, of: 'ok', id: 9, d: 'd'.repeat(99), end: 1 })).toMatchObject({
      kind: 'refused',
      why: 'size',
    })
    // Items of one stream share their owner: each item starts again at 0 once its envelope took its strings.
    for (let k = 10; k < 20; k++) {
      expect(inbox.add({ t: 'str', k, of: 'next', id: 5, d: 'e'.repeat(60), end: 1 }).kind).toBe('held')
      expect(inbox.take(k)).toBe('e'.repeat(60))
    }
    // Events name no call: each string is bounded alone as it arrives...
    for (let k = 20; k < 23; k++)
      expect(inbox.add({ t: 'str', k, of: 'event', d: 'f'.repeat(60), end: 1 }).kind).toBe('held')
    // ...and all of one event's strings together when its envelope takes them: 186 units, over 100.
    const event = {
      t: 'event',
      name: 'big',
      d: [0, 0, 0],
      u: [
        [20, 'd', 0],
        [21, 'd', 1],
        [22, 'd', 2],
      ],
    } as unknown as Envelope
    expect(placeStrings(event, inbox)).toMatch(
      /"event" has 186 units of string parts, over maxReassembledBytes \(100\); send less at once, or raise it/,
    )
    // Taken and freed, not left held: what stays is the reply string k 3 from above.
    expect(inbox.open).toBe(1)
    expect(ledger.snapshot().partial).toBe(98 + OPEN_MESSAGE_COST)
    // An event whose strings fit together is put back together.
    inbox.add({ t: 'str', k: 30, of: 'event', d: 'g'.repeat(40), end: 1 })
    inbox.add({ t: 'str', k: 31, of: 'event', d: 'h'.repeat(40), end: 1 })
    const fits = {
      t: 'event',
      name: 'ok',
      d: [0, 0],
      u: [
        [30, 'd', 0],
        [31, 'd', 1],
      ],
    } as unknown as Envelope
    expect(placeStrings(fits, inbox)).toBeUndefined()
    expect((fits as { d: string[] }).d).toEqual(['g'.repeat(40), 'h'.repeat(40)])
  })
})

describe('holdsLargeString', () => {
  // Every kind, so that adding one to the protocol makes this list (and the check below) name it.
  const kinds: Record<EnvelopeKind, true> = {
    hello: true,
    call: true,
    ok: true,
    err: true,
    next: true,
    end: true,
    credit: true,
    cancel: true,
    event: true,
    chunk: true,
    bin: true,
    str: true,
  }

  it('reads the payload field takeStrings takes strings from, for every envelope kind', () => {
    // holdsLargeString reads the field by a switch (for speed) where takeStrings reads PAYLOAD_KEY: the two
    // must name the same field of the same kinds, or a large payload would be stringified whole first.
    const big = 'x'.repeat(2000)
    for (const t of Object.keys(kinds) as EnvelopeKind[]) {
      for (const key of ['a', 'r', 'd', 'e', 'x', 'p']) {
        for (const payload of [big, [1, big]]) {
          const env = { t, id: 1, [key]: payload } as unknown as Envelope
          const takes = takeStrings(env, 1000) !== undefined
          expect([t, key, holdsLargeString(env, 1000)]).toEqual([t, key, takes])
        }
      }
    }
  })
})
