import { decodeBase64Exact } from './base64.js'
import { Ledger } from './ledger.js'
import { ENVELOPE_COST, MAX_REFUSED_CHUNK_KEYS } from './limits.js'
import type { BinEnvelope, CallEnvelope, NextEnvelope, OkEnvelope } from './protocol.js'

export type BlobOwner = CallEnvelope | OkEnvelope | NextEnvelope

/** The key that ties `bin` pieces to the envelope that announced them. */
export const blobKey = (of: string, id: number, s: number | undefined): string => `${of}:${id}:${s ?? ''}`

interface Assembly {
  owner: BlobOwner
  sizes: number[]
  parts: Uint8Array[]
  fill: number
  part: number
  /** What this assembly charged to the ledger: the announced bytes and the waiting envelope. */
  charged: number
}

export type BlobResult =
  | { kind: 'partial' | 'ignored' }
  | { kind: 'complete'; owner: BlobOwner; blobs: Uint8Array[] }
  | { kind: 'broken'; owner: BlobOwner; message: string }

/**
 * Puts binary parts back together. A part that comes in one piece is that piece's decoded buffer; a longer
 * one is copied into one buffer of its announced size (charged to the ledger up front). One owner's parts may not exceed `maxBytes`; the announced
 * bytes and the waiting envelope are charged to the session's ledger up front (a peer that announces and
 * never sends still pays for what it reserved); a refused owner's later pieces are dropped unstored.
 */
export class BlobInbox {
  readonly #pending = new Map<string, Assembly>()
  /** Owners refused or dropped, so that a re-announcement under the same key is refused too. */
  readonly #refused = new Set<string>()
  #held = 0

  constructor(
    private readonly maxBytes: number,
    private readonly ledger: Ledger = new Ledger(maxBytes),
  ) {}

  /** Bytes announced by envelopes still waiting for their parts. */
  get pendingBytes(): number {
    return this.#held
  }

  /**
   * An envelope (of about `envelopeBytes`) announced parts. Returns why it was refused (its pieces are
   * then dropped): `size` over `maxBytes` for one owner, `budget` when the ledger cannot hold it, `duplicate`
   * when the owner is already waiting or was refused; or undefined when it waits for its parts.
   */
  start(owner: BlobOwner, sizes: number[], envelopeBytes = 0): 'size' | 'budget' | 'duplicate' | undefined {
    const key = blobKey(owner.t, owner.id, (owner as { s?: number }).s)
    const total = sizes.reduce((a, b) => a + b, 0)
    const why =
      this.#pending.has(key) || this.#refused.has(key)
        ? 'duplicate'
        : total > this.maxBytes
          ? 'size'
          : !this.ledger.charge('binary', total + envelopeBytes + ENVELOPE_COST)
            ? 'budget'
            : undefined
    if (why) {
      this.#refuse(key)
      return why
    }
    this.#held += total
    this.#pending.set(key, {
      owner,
      sizes,
      parts: [],
      fill: 0,
      part: 0,
      charged: total + envelopeBytes + ENVELOPE_COST,
    })
    return undefined
  }

  add(piece: BinEnvelope): BlobResult {
    const key = blobKey(piece.of, piece.id, piece.s)
    const a = this.#pending.get(key)
    // Pieces of a refused, dropped or unknown owner are ignored (the refused set is bounded).
    if (!a) return { kind: 'ignored' }
    const broken = (message: string): BlobResult => {
      this.drop(key)
      this.#refuse(key)
      return { kind: 'broken', owner: a.owner, message }
    }
    if (piece.i !== a.part) return broken(`binary part ${piece.i} arrived while part ${a.part} was expected`)
    const size = a.sizes[a.part]!
    const bytes = decodeBase64Exact(piece.d)
    if (bytes === undefined)
      return broken(
        `binary part ${a.part} has a piece that is not padded standard base64 (${piece.d.length} characters)`,
      )
    if (a.fill + bytes.length > size)
      return broken(`binary part ${a.part} is longer than the ${size} bytes announced`)
    // A part whose bytes come in one piece is that piece's own buffer (no copy); a longer part gets one
    // buffer of its announced size on its first piece. That size was charged to the ledger at start(),
    // and a fresh large buffer is untouched zero pages until written, so memory still follows what
    // arrived. (Growing by doubling copied every byte once more and zero-filled each new buffer: about
    // 12 M of a client's 45 M instructions per MiB of a binary result, callgrind.)
    let buf = a.parts[a.part]
    if (buf === undefined) {
      buf = piece.end === 1 ? bytes : new Uint8Array(size)
      a.parts[a.part] = buf
    }
    if (buf !== bytes) buf.set(bytes, a.fill)
    a.fill += bytes.length
    if (piece.end !== 1) return { kind: 'partial' }
    if (a.fill !== size) return broken(`binary part ${a.part} has ${a.fill} bytes, not the ${size} announced`)
    a.part++
    a.fill = 0
    if (a.part < a.sizes.length) return { kind: 'partial' }
    this.#forget(key, a)
    for (let i = 0; i < a.sizes.length; i++) a.parts[i] ??= new Uint8Array(0)
    return { kind: 'complete', owner: a.owner, blobs: a.parts }
  }

  /** Forgets the assembly for a call or stream that ended (cancelled, timed out); its pieces are dropped. */
  drop(key: string): void {
    const a = this.#pending.get(key)
    if (!a) return
    this.#forget(key, a)
    this.#refuse(key)
  }

  clear(): void {
    for (const a of this.#pending.values()) this.ledger.release('binary', a.charged)
    this.#pending.clear()
    this.#refused.clear()
    this.#held = 0
  }

  #forget(key: string, a: Assembly): void {
    this.#pending.delete(key)
    this.#held -= a.sizes.reduce((x, y) => x + y, 0)
    this.ledger.release('binary', a.charged)
  }

  #refuse(key: string): void {
    this.#refused.add(key)
    if (this.#refused.size > MAX_REFUSED_CHUNK_KEYS)
      this.#refused.delete(this.#refused.values().next().value!)
  }
}
