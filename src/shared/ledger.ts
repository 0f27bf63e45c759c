/**
 * What a session holds on its peer's behalf, by kind. Every holder charges the ledger before it keeps
 * bytes and releases them when it lets go, so one number (`total`) bounds the memory a peer can make
 * this end spend, whatever mix of partial messages, waiting envelopes, queued calls, unread stream
 * items and unsent output it uses.
 */
export type HeldKind =
  /** Pieces of chunked messages not yet complete (plus a fixed cost per piece and per open message). */
  | 'partial'
  /** Binary parts announced by an envelope, and the envelope itself, until the last part arrives. */
  | 'binary'
  /** Calls waiting for a handler slot (`maxConcurrentCalls`). */
  | 'queued'
  /** Stream items that arrived before the consumer asked for them. */
  | 'buffered'
  /** Output accepted by the transport but not yet taken by a peer that stopped reading. */
  | 'unsent'

const KINDS: readonly HeldKind[] = ['partial', 'binary', 'queued', 'buffered', 'unsent']

/** The ledger's counters: bytes held now per kind, in total, at the peak, and the budget. */
export interface HeldBytes {
  partial: number
  binary: number
  queued: number
  buffered: number
  unsent: number
  total: number
  peak: number
  budget: number
  /** Charges refused because they would have gone over the budget. */
  refused: number
}

/**
 * One budget of bytes per session. `charge` either takes the whole amount or none of it, so a holder
 * that is refused frees what it held and fails the call the bytes belonged to.
 *
 * @example
 * const ledger = new Ledger(256 * 1024 * 1024)
 * if (!ledger.charge('partial', piece.length)) failCall('TOO_LARGE')
 * // ... later, when the message is complete or dropped:
 * ledger.release('partial', piece.length)
 */
export class Ledger {
  readonly #held: Record<HeldKind, number> = {
    partial: 0,
    binary: 0,
    queued: 0,
    buffered: 0,
    unsent: 0,
  }
  #total = 0
  #peak = 0
  #refused = 0

  constructor(readonly budget: number) {}

  /** Bytes held now, of every kind. */
  get used(): number {
    return this.#total
  }

  /** Bytes that may still be charged. */
  get free(): number {
    return Math.max(0, this.budget - this.#total)
  }

  /** Takes `bytes` for `kind`; false, and nothing taken, when the budget cannot hold them. */
  charge(kind: HeldKind, bytes: number): boolean {
    if (this.#total + bytes > this.budget) {
      this.#refused++
      return false
    }
    this.#held[kind] += bytes
    this.#total += bytes
    if (this.#total > this.#peak) this.#peak = this.#total
    return true
  }

  /** Takes `bytes` whatever the budget says (for what is already held elsewhere and only counted here). */
  force(kind: HeldKind, bytes: number): void {
    this.#held[kind] += bytes
    this.#total += bytes
    if (this.#total > this.#peak) this.#peak = this.#total
  }

  /** Gives back `bytes` of `kind` (never below zero, so a double release cannot mask a later leak as credit). */
  release(kind: HeldKind, bytes: number): void {
    const n = Math.min(bytes, this.#held[kind])
    this.#held[kind] -= n
    this.#total -= n
  }

  /** Sets what `kind` holds (for holders that measure rather than track, such as a stream's write buffer). */
  set(kind: HeldKind, bytes: number): void {
    this.#total += bytes - this.#held[kind]
    this.#held[kind] = bytes
    if (this.#total > this.#peak) this.#peak = this.#total
  }

  /** A copy of the counters, for `load`, tests and error messages. */
  snapshot(): HeldBytes {
    return {
      ...this.#held,
      total: this.#total,
      peak: this.#peak,
      budget: this.budget,
      refused: this.#refused,
    }
  }

  /** Forgets everything held (the session closed). */
  clear(): void {
    for (const k of KINDS) this.#held[k] = 0
    this.#total = 0
  }
}

/** Formats bytes for messages: `1.5 MiB`, `640 KiB`, `12 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1048576).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`
  return `${n} bytes`
}

/**
 * About how many bytes a JSON value (as parsed from the wire) keeps alive: string units, 8 per number and
 * a small cost per node. Linear in the value's size: parsed JSON has no shared nodes, and the walk is
 * iterative, so a deep value cannot overflow the stack.
 *
 * @example
 * ledger.charge('queued', jsonHeldSize(env.a))
 */
export function jsonHeldSize(v: unknown): number {
  let total = 0
  const stack: unknown[] = [v]
  while (stack.length > 0) {
    const x = stack.pop()
    if (typeof x === 'string') total += x.length + 16
    else if (typeof x !== 'object' || x === null) total += 8
    else if (Array.isArray(x)) {
      total += 16 + 8 * x.length
      for (const e of x) stack.push(e)
    } else {
      total += 32
      for (const k in x) {
        total += k.length + 24
        stack.push((x as Record<string, unknown>)[k])
      }
    }
  }
  return total
}
