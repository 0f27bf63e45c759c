import { Ledger } from './ledger.js'
import { MAX_OPEN_MESSAGES, MAX_REFUSED_CHUNK_KEYS, OPEN_MESSAGE_COST, PIECE_COST } from './limits.js'
import type { ChunkEnvelope, StrEnvelope } from './protocol.js'

interface Partial {
  parts: string[]
  /** UTF-16 units of text so far. */
  size: number
  /** What this message has charged to the ledger: its text, plus fixed costs per piece and for being open. */
  charged: number
  /** `of:id:s` of the envelope being carried, when the sender named it. */
  owner: string | undefined
}

export type ReassemblyResult =
  | { kind: 'partial' }
  | { kind: 'complete'; text: string }
  /**
   * `size`: one message over `maxBytes`; `budget`: the session's ledger is full; `open`: too many partial
   * messages at once. The message's pieces so far are freed and its later ones are dropped unstored.
   */
  | { kind: 'refused'; size: number; why: 'size' | 'budget' | 'open' }
  | { kind: 'ignored' }

/** The owner key of a chunk piece (`of:id:s`), or undefined when the sender did not tie it to a call. */
export const chunkOwner = (c: { of?: string; id?: number; s?: number }): string | undefined =>
  c.id === undefined ? undefined : `${c.of ?? ''}:${c.id}:${c.s ?? ''}`

/**
 * Puts chunked messages back together, bounded three ways: one message may not exceed `maxBytes` (UTF-16
 * units of JSON text, which equals bytes for ASCII such as base64); every piece and every open message
 * is charged to the session's ledger with a fixed cost on top of its text, so a flood of empty pieces
 * costs as much as it makes us spend; and at most `maxOpen` messages may be partial at once. A refused
 * message's later pieces are dropped without being stored.
 */
export class Reassembler {
  #partial = new Map<number, Partial>()
  #refused = new Set<number>()
  #total = 0

  constructor(
    private readonly maxBytes: number,
    private readonly ledger: Ledger = new Ledger(Number.POSITIVE_INFINITY),
    private readonly maxOpen = MAX_OPEN_MESSAGES,
    /** Messages held elsewhere that count as open too (finished string parts waiting for their envelope). */
    private readonly heldOpen: () => number = () => 0,
  ) {}

  /** Units of text held in partial messages. */
  get pendingBytes(): number {
    return this.#total
  }

  /** Messages partly received. */
  get open(): number {
    return this.#partial.size
  }

  add(c: ChunkEnvelope | StrEnvelope): ReassemblyResult {
    if (this.#refused.has(c.k)) {
      if (c.end === 1) this.#refused.delete(c.k)
      return { kind: 'ignored' }
    }
    let p = this.#partial.get(c.k)
    if (!p) {
      if (c.end === 1 && c.d.length <= this.maxBytes) {
        // A one-piece message is complete at once and never held.
        return { kind: 'complete', text: c.d }
      }
      if (this.#partial.size + this.heldOpen() >= this.maxOpen)
        return this.#refuse(c, undefined, 'open', c.d.length)
      if (!this.ledger.charge('partial', OPEN_MESSAGE_COST)) return this.#refuse(c, undefined, 'budget', 0)
      p = { parts: [], size: 0, charged: OPEN_MESSAGE_COST, owner: chunkOwner(c) }
      this.#partial.set(c.k, p)
    }
    const size = p.size + c.d.length
    if (size > this.maxBytes) return this.#refuse(c, p, 'size', size)
    const cost = c.d.length + PIECE_COST
    if (!this.ledger.charge('partial', cost)) return this.#refuse(c, p, 'budget', size)
    p.charged += cost
    p.size = size
    this.#total += c.d.length
    p.parts.push(c.d)
    if (c.end !== 1) return { kind: 'partial' }
    this.#forget(c.k, p)
    return { kind: 'complete', text: p.parts.length === 1 ? p.parts[0]! : p.parts.join('') }
  }

  /**
   * Frees the partial messages carrying envelope `of:id:s` (a call that ended here: its reply's later
   * pieces are of no use) and drops their later pieces. Returns how many were dropped.
   */
  dropOwner(owner: string): number {
    let n = 0
    for (const [k, p] of this.#partial)
      if (p.owner === owner) {
        this.#forget(k, p)
        this.#remember(k)
        n++
      }
    return n
  }

  clear(): void {
    for (const p of this.#partial.values()) this.ledger.release('partial', p.charged)
    this.#partial.clear()
    this.#refused.clear()
    this.#total = 0
  }

  #refuse(
    c: ChunkEnvelope | StrEnvelope,
    p: Partial | undefined,
    why: 'size' | 'budget' | 'open',
    size: number,
  ): ReassemblyResult {
    if (p) this.#forget(c.k, p)
    if (c.end !== 1) this.#remember(c.k)
    return { kind: 'refused', size, why }
  }

  #forget(k: number, p: Partial): void {
    this.#partial.delete(k)
    this.#total -= p.size
    this.ledger.release('partial', p.charged)
  }

  #remember(k: number): void {
    this.#refused.add(k)
    if (this.#refused.size > MAX_REFUSED_CHUNK_KEYS)
      this.#refused.delete(this.#refused.values().next().value!)
  }
}
