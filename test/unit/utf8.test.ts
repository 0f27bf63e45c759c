import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8Length } from '../../src/shared/utf8.js'
import { runs } from './runs.js'

// Code units chosen to hit every branch: ASCII, 2- and 3-byte, pairs, lone and reversed halves.
const unit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff'),
)

describe('utf8Length', () => {
  it('equals Buffer.byteLength for full-Unicode strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'))
      }),
      { numRuns: runs(10_000) },
    )
  })

  it('equals Buffer.byteLength with lone surrogates anywhere (each counts as U+FFFD, 3 bytes) (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 100 }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'))
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length)
      }),
      { numRuns: runs(10_000) },
    )
  })

  it.each([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['\ud800', 3],
    ['\udc00', 3],
    ['\udc00\ud800', 6], // reversed halves are two lone surrogates
    ['\ud800a', 4],
    ['a\ud83d', 4], // a high half at the very end
  ])('%j is %i bytes', (s, n) => {
    expect(utf8Length(s)).toBe(n)
  })
})
