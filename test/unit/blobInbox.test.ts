import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BlobInbox } from '../../src/shared/blobs.js'
import { Ledger } from '../../src/shared/ledger.js'
import type { BinEnvelope, OkEnvelope } from '../../src/shared/protocol.js'
import { runs } from './runs.js'

const owner = (id: number, b: number[]): OkEnvelope => ({ t: 'ok', id, b }) as OkEnvelope
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const piece = (id: number, i: number, d: string, end?: boolean): BinEnvelope =>
  ({ t: 'bin', of: 'ok', id, i, d, ...(end ? { end: 1 } : {}) }) as BinEnvelope

describe('BlobInbox', () => {
  it('puts parts cut into any pieces back together, byte for byte (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(40), { maxLength: 6 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          const inbox = new BlobInbox(1 << 20)
          expect(
            inbox.start(
              owner(
                1,
                parts.map(([p]) => p.length),
              ),
              parts.map(([p]) => p.length),
            ),
          ).toBe(undefined)
          let result: ReturnType<BlobInbox['add']> = { kind: 'partial' }
          parts.forEach(([bytes, cuts], i) => {
            // Cut at multiples of 3 bytes, so each piece is padding-free base64 (as the outbox sends).
            const at = [...new Set(cuts.map((c) => Math.min(bytes.length, c * 3)))].sort((x, y) => x - y)
            const bounds = [0, ...at, bytes.length]
            for (let j = 0; j + 1 < bounds.length; j++) {
              const last = j + 2 === bounds.length
              result = inbox.add(piece(1, i, b64(bytes.subarray(bounds[j], bounds[j + 1])), last))
              expect(result.kind).toBe(last && i === parts.length - 1 ? 'complete' : 'partial')
            }
          })
          expect(result.kind).toBe('complete')
          const blobs = (result as unknown as { blobs: Uint8Array[] }).blobs
          expect(blobs.map((b) => [...b])).toEqual(parts.map(([p]) => [...p]))
          expect(inbox.pendingBytes).toBe(0)
        },
      ),
      { numRuns: runs(2_000) },
    )
  })

  it('refuses a piece that is not padded standard base64, naming the part, and frees what it charged', () => {
    for (const bad of ['AA-B', 'AA_B', 'AA B', 'A===', 'QQ==QUFB', 'QUé=']) {
      const ledger = new Ledger(1 << 20)
      const inbox = new BlobInbox(1 << 20, ledger)
      expect(inbox.start(owner(2, [9]), [9])).toBeUndefined()
      expect(inbox.add(piece(2, 0, 'AAAA')).kind).toBe('partial')
      const r = inbox.add(piece(2, 0, bad))
      expect(r).toMatchObject({
        kind: 'broken',
        message: expect.stringMatching(/part 0 .*not padded standard base64/),
      })
      expect(ledger.used).toBe(0)
      expect(inbox.add(piece(2, 0, 'AAAA', true)).kind).toBe('ignored')
    }
  })

  it('a part in one piece is that piece; a longer part is one buffer of its announced size', () => {
    const inbox = new BlobInbox(1 << 20)
    inbox.start(owner(3, [3, 6]), [3, 6])
    expect(inbox.add(piece(3, 0, 'AQID', true)).kind).toBe('partial')
    expect(inbox.add(piece(3, 1, 'BAUG')).kind).toBe('partial')
    const r = inbox.add(piece(3, 1, 'BwgJ', true)) as { kind: 'complete'; blobs: Uint8Array[] }
    expect(r.kind).toBe('complete')
    expect(r.blobs.map((b) => [...b])).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7, 8, 9],
    ])
    expect(r.blobs.map((b) => b.buffer.byteLength)).toEqual([3, 6])
  })
})
