import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../../src/shared/ledger.js'
import { MAX_REFUSED_CHUNK_KEYS, OPEN_MESSAGE_COST, PIECE_COST } from '../../src/shared/limits.js'
import type { ChunkEnvelope } from '../../src/shared/protocol.js'
import { Reassembler } from '../../src/shared/reassembler.js'
import { runs } from './runs.js'

const piece = (k: number, d: string, end = false): ChunkEnvelope =>
  end ? { t: 'chunk', k, d, end: 1 } : { t: 'chunk', k, d }

describe('Reassembler', () => {
  it('completes a message whose pieces arrive in order', () => {
    const r = new Reassembler(1000)
    expect(r.add(piece(1, '{"t":"ok",'))).toEqual({ kind: 'partial' })
    expect(r.pendingBytes).toBe(10)
    expect(r.add(piece(1, '"id":1,'))).toEqual({ kind: 'partial' })
    expect(r.add(piece(1, '"r":2}', true))).toEqual({ kind: 'complete', text: '{"t":"ok","id":1,"r":2}' })
    expect(r.pendingBytes).toBe(0)
  })

  it('completes a one-piece message', () => {
    const r = new Reassembler(10)
    expect(r.add(piece(5, 'abc', true))).toEqual({ kind: 'complete', text: 'abc' })
    expect(r.pendingBytes).toBe(0)
  })

  it('keeps interleaved messages apart by key', () => {
    const r = new Reassembler(1000)
    expect(r.add(piece(1, 'a1')).kind).toBe('partial')
    expect(r.add(piece(2, 'b1')).kind).toBe('partial')
    expect(r.add(piece(1, 'a2')).kind).toBe('partial')
    expect(r.add(piece(2, 'b2', true))).toEqual({ kind: 'complete', text: 'b1b2' })
    expect(r.pendingBytes).toBe(4)
    expect(r.add(piece(1, 'a3', true))).toEqual({ kind: 'complete', text: 'a1a2a3' })
    expect(r.pendingBytes).toBe(0)
  })

  it('accepts a message of exactly the limit and refuses one unit more', () => {
    const exact = new Reassembler(10)
    exact.add(piece(1, '12345'))
    expect(exact.add(piece(1, '67890', true))).toEqual({ kind: 'complete', text: '1234567890' })
    const over = new Reassembler(10)
    over.add(piece(1, '12345'))
    expect(over.add(piece(1, '67890X', true))).toEqual({ kind: 'refused', size: 11, why: 'size' })
    expect(over.pendingBytes).toBe(0)
  })

  it('refuses a message over the per-message limit, ignores its later pieces, and forgets it at its end', () => {
    const r = new Reassembler(10)
    expect(r.add(piece(1, 'x'.repeat(6))).kind).toBe('partial')
    expect(r.add(piece(1, 'x'.repeat(6)))).toEqual({ kind: 'refused', size: 12, why: 'size' })
    expect(r.pendingBytes).toBe(0)
    expect(r.add(piece(1, 'x'.repeat(6)))).toEqual({ kind: 'ignored' })
    expect(r.pendingBytes).toBe(0)
    expect(r.add(piece(1, 'x', true))).toEqual({ kind: 'ignored' })
    // The key is free again (and other keys were never affected).
    expect(r.add(piece(1, 'fresh', true))).toEqual({ kind: 'complete', text: 'fresh' })
  })

  it('refuses whichever message pushes the ledger over the budget, counting fixed costs per piece and message', () => {
    const perMessage = OPEN_MESSAGE_COST + PIECE_COST + 4
    const ledger = new Ledger(2 * perMessage + 2)
    const r = new Reassembler(10, ledger)
    expect(r.add(piece(1, 'aaaa')).kind).toBe('partial')
    expect(r.add(piece(2, 'bbbb')).kind).toBe('partial')
    expect(r.pendingBytes).toBe(8)
    expect(ledger.snapshot().partial).toBe(2 * perMessage)
    // Message 3 alone is within the per-message limit, but the ledger cannot hold it as well.
    expect(r.add(piece(3, 'ccc'))).toEqual({ kind: 'refused', size: 0, why: 'budget' })
    expect(r.pendingBytes).toBe(8)
    expect(r.add(piece(3, 'c', true))).toEqual({ kind: 'ignored' })
    // An empty piece is not free: it costs PIECE_COST, which the budget has no room for.
    expect(r.add(piece(1, ''))).toEqual({ kind: 'refused', size: 4, why: 'budget' })
    expect(r.add(piece(1, 'a', true))).toEqual({ kind: 'ignored' })
    expect(r.add(piece(2, 'b', true))).toEqual({ kind: 'complete', text: 'bbbbb' })
    expect(r.pendingBytes).toBe(0)
    expect(ledger.used).toBe(0)
  })

  it('caps the messages open at once', () => {
    const r = new Reassembler(100, new Ledger(1 << 30), 3)
    for (let k = 0; k < 3; k++) expect(r.add(piece(k, 'x')).kind).toBe('partial')
    expect(r.add(piece(3, 'x'))).toEqual({ kind: 'refused', size: 1, why: 'open' })
    expect(r.add(piece(0, 'y', true))).toEqual({ kind: 'complete', text: 'xy' })
    expect(r.add(piece(4, 'x')).kind).toBe('partial')
    expect(r.open).toBe(3)
  })

  it('dropOwner frees the partial messages of a call that ended and ignores their later pieces', () => {
    const ledger = new Ledger(1 << 20)
    const r = new Reassembler(100, ledger)
    expect(r.add({ t: 'chunk', k: 1, of: 'ok', id: 7, d: 'abc' }).kind).toBe('partial')
    expect(r.add({ t: 'chunk', k: 2, of: 'ok', id: 8, d: 'abc' }).kind).toBe('partial')
    expect(r.dropOwner('ok:7:')).toBe(1)
    expect(r.add({ t: 'chunk', k: 1, of: 'ok', id: 7, d: 'def', end: 1 })).toEqual({ kind: 'ignored' })
    expect(r.add({ t: 'chunk', k: 2, of: 'ok', id: 8, d: 'def', end: 1 })).toEqual({
      kind: 'complete',
      text: 'abcdef',
    })
    expect(ledger.used).toBe(0)
  })

  it('refusing on a last piece leaves nothing to ignore afterwards', () => {
    const r = new Reassembler(4)
    expect(r.add(piece(1, 'abcde', true))).toEqual({ kind: 'refused', size: 5, why: 'size' })
    expect(r.add(piece(1, 'ok', true))).toEqual({ kind: 'complete', text: 'ok' })
  })

  it('remembers a bounded number of refused keys', () => {
    const r = new Reassembler(1)
    for (let k = 0; k < MAX_REFUSED_CHUNK_KEYS + 10; k++) expect(r.add(piece(k, 'xx')).kind).toBe('refused')
    // The oldest refusals were forgotten (their pieces would now start a new message); the newest are not.
    expect(r.add(piece(0, 'y', true))).toEqual({ kind: 'complete', text: 'y' })
    expect(r.add(piece(MAX_REFUSED_CHUNK_KEYS + 9, 'y', true))).toEqual({ kind: 'ignored' })
  })

  it('clear() drops everything', () => {
    const r = new Reassembler(10)
    r.add(piece(1, 'abc'))
    r.add(piece(2, 'x'.repeat(11)))
    r.clear()
    expect(r.pendingBytes).toBe(0)
    expect(r.add(piece(2, 'z', true))).toEqual({ kind: 'complete', text: 'z' })
    expect(r.add(piece(1, 'q', true))).toEqual({ kind: 'complete', text: 'q' })
  })

  it('any interleaving of messages: each completes to its text or is refused, and pendingBytes returns to 0 (property)', () => {
    const messages = fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 6,
    })
    fc.assert(
      fc.property(messages, fc.integer({ min: 1, max: 60 }), fc.array(fc.nat()), (msgs, limit, order) => {
        const budget = 2 * (OPEN_MESSAGE_COST + PIECE_COST * 3) + limit
        const ledger = new Ledger(budget)
        const r = new Reassembler(limit, ledger)
        const next = msgs.map(() => 0)
        const done = new Map<number, string>()
        const refused = new Set<number>()
        let o = 0
        // Interleave: pick a message with pieces left, per the generated order, until all are sent.
        while (next.some((n, k) => n < msgs[k]!.length)) {
          const open = next.map((n, k) => (n < msgs[k]!.length ? k : -1)).filter((k) => k >= 0)
          const k = open[(order[o++] ?? 0) % open.length]!
          const parts = msgs[k]!
          const res = r.add(piece(k, parts[next[k]!]!, next[k] === parts.length - 1))
          next[k]!++
          if (res.kind === 'complete') done.set(k, res.text)
          else if (res.kind === 'refused') refused.add(k)
          else if (res.kind === 'ignored') expect(refused.has(k)).toBe(true)
          expect(ledger.used).toBeLessThanOrEqual(budget)
        }
        expect(r.pendingBytes).toBe(0)
        expect(ledger.used).toBe(0)
        msgs.forEach((parts, k) => {
          if (refused.has(k)) expect(done.has(k)).toBe(false)
          else expect(done.get(k)).toBe(parts.join(''))
          // A message over the per-message limit is always refused.
          if (parts.join('').length > limit) expect(refused.has(k)).toBe(true)
        })
      }),
      { numRuns: runs(5_000) },
    )
  })
})
