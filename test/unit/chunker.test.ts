import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHUNK_OVERHEAD, cutPieces, jsonSizeBound, type Piece } from '../../src/shared/chunker.js'
import { Outbox } from '../../src/shared/outbox.js'
import type { Envelope } from '../../src/shared/protocol.js'
import type { Transport } from '../../src/shared/transport.js'
import { utf8Length } from '../../src/shared/utf8.js'
import { unitLength } from '../messageSize.js'
import { runs } from './runs.js'

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

/**
 * The chunk envelope for a piece, built as src/shared/outbox.ts builds it for a text transport, with the
 * largest head the wire allows (every number at its maximum, the longest kind name), so a piece that fits
 * here fits in any real chunk.
 */
function worstChunkEnvelope(p: Piece, last: boolean): string {
  const max = Number.MAX_SAFE_INTEGER
  const head = `{"t":"chunk","k":${max},"of":"event","id":${max},"s":${max}`
  return `${head},"d":${p.quoted}${last ? ',"end":1}' : '}'}`
}

function cut(text: string, maxBytes: number): Piece[] {
  return [...cutPieces(text, maxBytes, utf8Length)]
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff

/** Everything a cut must guarantee, checked on one text. */
function checkPieces(text: string, maxBytes: number, pieces: Piece[]) {
  expect(pieces.map((p) => p.text).join('')).toBe(text)
  pieces.forEach((p, i) => {
    expect(p.text.length).toBeGreaterThan(0)
    expect(p.quoted).toBe(JSON.stringify(p.text))
    expect(p.bytes).toBe(bytes(p.quoted))
    expect(bytes(p.quoted)).toBeLessThanOrEqual(maxBytes - CHUNK_OVERHEAD)
    const env = worstChunkEnvelope(p, i === pieces.length - 1)
    expect(bytes(env)).toBeLessThanOrEqual(maxBytes)
    expect((JSON.parse(env) as { d: string }).d).toBe(p.text)
    // A surrogate pair is never split between two pieces.
    const next = pieces[i + 1]
    if (next)
      expect(isHigh(p.text.charCodeAt(p.text.length - 1)) && isLow(next.text.charCodeAt(0))).toBe(false)
  })
}

// Units that stress the cut: multi-byte UTF-8, surrogate pairs, lone surrogates, and JSON escapes.
const nastyUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  fc.constantFrom('é', '€', '😀', '𝄞', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ufeff'),
  fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
)
const nastyString = (maxLength: number) => fc.string({ unit: nastyUnit, maxLength })

describe('cutPieces at the exact boundary', () => {
  const maxBytes = 1024
  const budget = maxBytes - CHUNK_OVERHEAD // bytes left for the quoted piece

  it.each([
    ['limit - 1', budget - 1, 1],
    ['limit', budget, 1],
    ['limit + 1', budget + 1, 2],
  ])('ASCII text whose quoted piece is %s bytes gives %#', (_, quotedBytes, pieces) => {
    const text = 'a'.repeat(quotedBytes - 2)
    const got = cut(text, maxBytes)
    expect(got).toHaveLength(pieces)
    expect(bytes(got[0]!.quoted)).toBe(Math.min(quotedBytes, budget))
    checkPieces(text, maxBytes, got)
  })

  it.each([
    ['é (2 bytes)', 'é'],
    ['€ (3 bytes)', '€'],
    ['😀 (surrogate pair, 4 bytes)', '😀'],
    ['\\u0001 (escaped to 6 bytes)', '\u0001'],
    ['" (escaped to 2 bytes)', '"'],
  ])('a multi-byte %s straddling the limit moves whole to the next piece', (_, ch) => {
    for (let slack = -8; slack <= 8; slack++) {
      // ASCII up to just around the budget, then the wide character across the line.
      const text = 'a'.repeat(budget - 2 + slack - 1) + ch + 'b'.repeat(5)
      const got = cut(text, maxBytes)
      checkPieces(text, maxBytes, got)
      expect(got.some((p) => p.text.includes(ch))).toBe(true) // never split inside
    }
  })

  it('does not end a piece on the high half of a pair even when the budget falls between the halves', () => {
    for (let lead = budget - 12; lead <= budget + 2; lead++) {
      const text = 'a'.repeat(lead) + '😀'.repeat(400)
      const got = cut(text, maxBytes)
      checkPieces(text, maxBytes, got)
      for (const p of got) expect(isHigh(p.text.charCodeAt(p.text.length - 1))).toBe(false)
    }
  })

  it('cuts escape-heavy text (quotes, backslashes, control characters) so the escaped piece fits', () => {
    for (const unit of ['"', '\\', '\u0000', '\u001b', '\n', '\\"', '"\u0001é😀']) {
      const text = unit.repeat(3000)
      const got = cut(text, maxBytes)
      checkPieces(text, maxBytes, got)
      expect(got.length).toBeGreaterThan(1)
    }
  })

  it('refuses a maxBytes too small to carry any chunk, with the fix in the message', () => {
    expect(() => cut('abc', CHUNK_OVERHEAD + 15)).toThrowErrorMatchingInlineSnapshot(
      `[RangeError: maxBytes 143 is too small to carry chunks; use at least 1024]`,
    )
    expect(cut('abc', CHUNK_OVERHEAD + 16)).toHaveLength(1)
  })

  it('gives no pieces for the empty string', () => {
    expect(cut('', 1024)).toEqual([])
  })
})

describe('cutPieces (properties)', () => {
  it('pieces join to the original, every chunk envelope fits, pairs are never split', () => {
    fc.assert(
      fc.property(
        nastyString(1500),
        fc.integer({ min: CHUNK_OVERHEAD + 16, max: 1200 }),
        (text, maxBytes) => {
          checkPieces(text, maxBytes, cut(text, maxBytes))
        },
      ),
      { numRuns: runs(6_000) },
    )
  })

  it('full-Unicode text at realistic limits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 6000 }),
        fc.integer({ min: 1024, max: 4096 }),
        (text, maxBytes) => {
          checkPieces(text, maxBytes, cut(text, maxBytes))
        },
      ),
      { numRuns: runs(1_500) },
    )
  })
})

describe('chunking through the real Outbox', () => {
  /** A text transport that records what it is given: the thing under test is the Outbox, not this. */
  function recorder(maxMessageBytes: number) {
    const sent: string[] = []
    const transport: Transport = {
      kind: 'text',
      maxMessageBytes,
      start() {},
      send(m) {
        sent.push(m as string)
        return true
      },
      close() {},
    }
    return { sent, outbox: new Outbox(transport, utf8Length) }
  }

  /** An `ok` envelope whose JSON is exactly `size` bytes, using `fill` (1 or 2 UTF-8 bytes) as padding. */
  function okOfSize(size: number, fill: 'a' | 'é'): Envelope {
    const shell = bytes(JSON.stringify({ t: 'ok', id: 7, r: '' }))
    const room = size - shell
    const r = fill === 'a' ? 'a'.repeat(room) : 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2)
    const env: Envelope = { t: 'ok', id: 7, r }
    expect(bytes(JSON.stringify(env))).toBe(size)
    return env
  }

  const limit = 2048
  it.each([
    ['limit - 1', limit - 1, 1],
    ['limit', limit, 1],
    ['limit + 1', limit + 1, 2],
  ] as const)('an envelope of %s bytes goes out as %i message(s), none over the limit', (_, size, count) => {
    for (const fill of ['a', 'é'] as const) {
      const { sent, outbox } = recorder(limit)
      const env = okOfSize(size, fill)
      void outbox.send(env)
      outbox.flush() // a single small envelope waits for the end of the tick to be batched
      expect(sent).toHaveLength(count)
      for (const m of sent) expect(bytes(m)).toBeLessThanOrEqual(limit)
      if (count === 1) expect(sent[0]).toBe(JSON.stringify(env))
      else {
        const chunks = sent.map(
          (m) => JSON.parse(m) as { t: string; k: number; id: number; d: string; end?: 1 },
        )
        expect(chunks.every((c) => c.t === 'chunk' && c.id === 7)).toBe(true)
        expect(chunks.map((c) => c.end)).toEqual([undefined, 1])
        expect(chunks.map((c) => c.d).join('')).toBe(JSON.stringify(env))
      }
    }
  })

  it('an object transport gets no message whose JSON is over the limit, even with the widest numbers', () => {
    // 41,000 numbers of 25 characters: 1,066,001 bytes of JSON, over 1 MiB; a size bound that counted
    // 24 per number put it at 1,025,002 and let it through unchunked, and the browser would close the Port.
    const sent: object[] = []
    const limit = 1024 * 1024
    const outbox = new Outbox(
      {
        kind: 'object',
        maxMessageBytes: limit,
        start() {},
        send(m) {
          sent.push(m as object)
          return true
        },
        close() {},
      },
      utf8Length,
    )
    const env: Envelope = { t: 'ok', id: 1, r: new Array(41_000).fill(-0.0000010005749254156202) }
    expect(bytes(JSON.stringify(env))).toBeGreaterThan(limit)
    void outbox.send(env)
    outbox.flush() // a single small envelope waits for the end of the tick to be batched
    expect(sent.length).toBeGreaterThan(1)
    for (const m of sent) expect(bytes(JSON.stringify(m))).toBeLessThanOrEqual(limit)
  })

  it('every chunk message of random large envelopes fits and the pieces rebuild the JSON (property)', () => {
    fc.assert(
      fc.property(nastyString(4000), fc.integer({ min: 1024, max: 1500 }), (r, maxMessageBytes) => {
        const { sent, outbox } = recorder(maxMessageBytes)
        const env: Envelope = { t: 'next', id: 3, s: 2, r: [r, r] }
        void outbox.send(env)
        outbox.flush() // a single small envelope waits for the end of the tick to be batched
        for (const m of sent) expect(bytes(m)).toBeLessThanOrEqual(maxMessageBytes)
        const whole =
          sent.length === 1 ? sent[0]! : sent.map((m) => (JSON.parse(m) as { d: string }).d).join('')
        expect(whole).toBe(JSON.stringify(env))
      }),
      { numRuns: runs(1_500) },
    )
  })
})

describe('jsonSizeBound', () => {
  const jsonWithNastyStrings = fc
    .jsonValue({ maxDepth: 5 })
    .chain((v) =>
      fc
        .record({ s: nastyString(40), k: nastyString(8) })
        .map(({ s, k }) => ({ [k]: s, v, list: [s, v, k] }) as unknown),
    )

  it('never under-estimates the UTF-8 size of JSON.stringify (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), jsonWithNastyStrings, nastyString(200)), (v) => {
        const actual = bytes(JSON.stringify(v))
        expect(jsonSizeBound(v, Number.MAX_SAFE_INTEGER)).toBeGreaterThanOrEqual(actual)
      }),
      { numRuns: runs(12_000) },
    )
  })

  it('with unit 1, never under the length counting each string unit once, and a sixth of a bound of the real size (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), jsonWithNastyStrings, nastyString(200)), (v) => {
        const units = jsonSizeBound(v, Number.MAX_SAFE_INTEGER, 1)
        expect(units).toBeGreaterThanOrEqual(unitLength(v))
        expect(6 * units).toBeGreaterThanOrEqual(bytes(JSON.stringify(v)))
        expect(6 * units).toBeGreaterThanOrEqual(jsonSizeBound(v, Number.MAX_SAFE_INTEGER))
      }),
      { numRuns: runs(8_000) },
    )
    expect(jsonSizeBound('ab', 4, 1)).toBe(4)
    expect(jsonSizeBound('ab', 3, 1)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound({ ab: 'é' }, 100, 1)).toBe(2 + 2 + 4 + 1 + 2)
  })

  it('with any budget: Infinity, or a bound within the budget and at least the real size (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), jsonWithNastyStrings), fc.nat(2000), (v, budget) => {
        const actual = bytes(JSON.stringify(v))
        const bound = jsonSizeBound(v, budget)
        if (bound !== Number.POSITIVE_INFINITY) {
          expect(bound).toBeLessThanOrEqual(budget)
          expect(bound).toBeGreaterThanOrEqual(actual)
        } else expect(jsonSizeBound(v, Number.MAX_SAFE_INTEGER)).toBeGreaterThan(budget)
      }),
      { numRuns: runs(8_000) },
    )
  })

  it('covers the widest numbers and escapes', () => {
    for (const v of [
      -Number.MAX_VALUE,
      -Number.MIN_VALUE,
      -2.2250738585072014e-308,
      -1.2345678901234567e-100,
      -0.0000010005749254156202, // 25 characters, the longest a double prints
      -0.000009999999999999999,
      [-0.0000010005749254156202, -0.0000010005749254156202],
      Number.MIN_SAFE_INTEGER,
      '\u0000\u0001\u001f',
      '\ud800\udfff\udc00',
      '😀😀',
      ['\u0000', null, true, false, -0, 1e21],
      { '\u0000"\\': '\u2028' },
      Object.assign(new Array(2), { 1: 1 }), // a hole is written as null
      { a: undefined, b: () => 1 }, // dropped by JSON.stringify, still counted
      [undefined, () => 1], // written as null
    ]) {
      expect(jsonSizeBound(v, 1e9)).toBeGreaterThanOrEqual(bytes(JSON.stringify(v)))
    }
  })

  it('never under-estimates for values JSON.stringify treats specially (toJSON, boxed primitives) (property)', () => {
    // A custom codec may hand the outbox such values; Date#toJSON, new Number(1e21) and friends print more
    // than their (empty) own keys suggest.
    const special = fc.anything({
      withDate: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withObjectString: true,
    })
    fc.assert(
      fc.property(special, (v) => {
        const text = JSON.stringify(v) as string | undefined
        if (text === undefined) return
        expect(jsonSizeBound(v, Number.MAX_SAFE_INTEGER)).toBeGreaterThanOrEqual(bytes(text))
      }),
      { numRuns: runs(6_000) },
    )
    for (const v of [
      new Date(0),
      { at: new Date(0) },
      new Number(-1e21),
      new Boolean(false),
      new String('€'),
      { toJSON: () => 'x'.repeat(100) },
    ])
      expect(jsonSizeBound(v, 1e9)).toBeGreaterThanOrEqual(bytes(JSON.stringify(v)))
  })

  it('returns Infinity past the budget', () => {
    expect(jsonSizeBound('x'.repeat(100), 50)).toBe(Number.POSITIVE_INFINITY)
    expect(
      jsonSizeBound(
        Array.from({ length: 1000 }, () => 1),
        100,
      ),
    ).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound({ a: { b: { c: 'x'.repeat(100) } } }, 100)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound([[[[1]]]], 5)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound('ab', 14)).toBe(14)
    expect(jsonSizeBound('ab', 13)).toBe(Number.POSITIVE_INFINITY)
    // A lone scalar over the budget too, as the contract says: not its (over-budget) bound.
    expect(jsonSizeBound(5, 10)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound(false, 0)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound(null, 3)).toBe(Number.POSITIVE_INFINITY)
    expect(jsonSizeBound(null, 4)).toBe(4)
  })

  it('stops walking once the budget is spent (does not visit a million entries for a 100-byte budget)', () => {
    let reads = 0
    const big: Record<string, number> = {}
    for (let i = 0; i < 100_000; i++)
      Object.defineProperty(big, `k${i}`, {
        enumerable: true,
        get: () => {
          reads++
          return i
        },
      })
    expect(jsonSizeBound({ t: 'ok', id: 1, r: big }, 100)).toBe(Number.POSITIVE_INFINITY)
    expect(reads).toBeLessThan(10)
  })

  it('gives up (Infinity) on nesting deeper than it walks, instead of recursing without bound', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(jsonSizeBound(deep, Number.MAX_SAFE_INTEGER)).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('cutPieces of JSON text (measured by counting escapes)', () => {
  const cutJson = (text: string, maxBytes: number) => [
    ...cutPieces(text, maxBytes, utf8Length, { jsonText: true }),
  ]
  // What the outbox cuts: JSON.stringify output, here of strings full of escapes, pairs and lone surrogates.
  const jsonText = fc.oneof(
    nastyString(1500).map((s) => JSON.stringify({ t: 'ok', id: 1, r: s })),
    fc.array(nastyString(8), { maxLength: 300 }).map((a) => JSON.stringify(a)),
  )

  it('pieces join to the original, every chunk envelope fits, pairs are never split', () => {
    fc.assert(
      fc.property(jsonText, fc.integer({ min: CHUNK_OVERHEAD + 16, max: 1200 }), (text, maxBytes) => {
        const pieces = cutJson(text, maxBytes)
        checkPieces(text, maxBytes, pieces)
      }),
      { numRuns: runs(4_000) },
    )
  })

  it('cuts the same pieces as measuring by JSON.stringify', () => {
    fc.assert(
      fc.property(jsonText, fc.integer({ min: CHUNK_OVERHEAD + 16, max: 1200 }), (text, maxBytes) => {
        expect(cutJson(text, maxBytes).map((p) => p.text)).toEqual(cut(text, maxBytes).map((p) => p.text))
      }),
      { numRuns: runs(2_000) },
    )
  })

  it('fills each piece of a large quote-free text to within a few bytes', () => {
    const text = JSON.stringify({ r: 'e'.repeat(3 << 20) })
    const pieces = cutJson(text, 1 << 20)
    const budget = (1 << 20) - CHUNK_OVERHEAD
    checkPieces(text, 1 << 20, pieces)
    expect(pieces).toHaveLength(4)
    // The first piece holds the few quotes of the envelope; the rest is guessed from its ratio.
    for (const p of pieces.slice(0, -1)) expect(bytes(p.quoted)).toBeGreaterThan(budget - 16)
  })
})
