import { RpcError } from './errors.js'
import { formatBytes, type Ledger } from './ledger.js'
import { ENVELOPE_COST } from './limits.js'

interface Waiter<T> {
  resolve(r: IteratorResult<T>): void
  reject(e: unknown): void
}

export interface StreamQueueHooks {
  /** The consumer took `n` items: grant the producer `n` more. */
  grant(n: number): void
  /** The consumer stopped before the end (break, return, abort): tell the producer to stop. */
  cancel(why: string): void
}

/**
 * The consuming end of a stream: items from the wire are pushed in, `for await` takes them out. Holds at
 * most `window` items (the producer may not send more than the credit it was given); credit goes back in
 * batches of half a window, so a slow consumer keeps the producer's memory flat.
 */
export class StreamQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = []
  /** Bytes charged to the ledger for each buffered item, in step with `items`. */
  #sizes: number[] = []
  #head = 0
  #waiter: Waiter<T> | null = null
  #done = false
  #error: unknown = null
  #consumed = 0
  /** Items the producer may still send without more credit. */
  #outstanding: number

  constructor(
    private readonly window: number,
    private readonly hooks: StreamQueueHooks,
    private readonly label: string,
    /** Where buffered items are charged, so a consumer that does not read costs the session's budget. */
    private readonly ledger?: Ledger,
  ) {
    this.#outstanding = window
  }

  get finished(): boolean {
    return this.#done
  }

  /** Ended and read out: nothing left to deliver. */
  get idle(): boolean {
    return this.#done && this.#head >= this.#items.length
  }

  /**
   * An item arrived; `size` tells what it holds if it has to wait for the consumer. Returns false (and
   * fails the stream) if the producer overran its credit or the session's budget cannot hold the item.
   */
  push(item: T, size?: () => number): boolean {
    if (this.#done) return true
    if (--this.#outstanding < 0) {
      this.fail(
        new RpcError(
          'PROTOCOL_ERROR',
          `${this.label}: the producer sent more items than its credit of ${this.window}`,
        ),
      )
      this.hooks.cancel('overrun')
      return false
    }
    if (this.#waiter) {
      const w = this.#waiter
      this.#waiter = null
      this.#taken()
      w.resolve({ value: item, done: false })
      return true
    }
    const bytes = this.ledger ? (size?.() ?? 0) + ENVELOPE_COST : 0
    if (this.ledger && !this.ledger.charge('buffered', bytes)) {
      const l = this.ledger
      this.discard(
        new RpcError(
          'LIMIT_EXCEEDED',
          `${this.label}: an unread item of ${formatBytes(bytes)} does not fit in the ${formatBytes(l.budget)} ` +
            `this end holds for its peer (maxHeldBytes; ${formatBytes(l.used)} in use); read the stream faster, ` +
            'lower its window, or raise maxHeldBytes',
        ),
      )
      this.hooks.cancel('too much buffered')
      return false
    }
    this.#items.push(item)
    this.#sizes.push(bytes)
    return true
  }

  end(): void {
    if (this.#done) return
    this.#done = true
    this.#flushWaiter()
  }

  fail(error: unknown): void {
    if (this.#done) return
    this.#done = true
    this.#error = error
    this.#flushWaiter()
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!
      this.ledger?.release('buffered', this.#sizes[this.#head]!)
      this.#items[this.#head++] = undefined as T
      if (this.#head === this.#items.length) {
        this.#items = []
        this.#sizes = []
        this.#head = 0
      }
      this.#taken()
      return Promise.resolve({ value, done: false })
    }
    if (this.#done) {
      if (this.#error !== null) {
        const e = this.#error
        this.#error = null // throw once; later next() calls report done, like a finished generator
        return Promise.reject(e)
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    if (this.#waiter)
      return Promise.reject(new TypeError(`${this.label}: next() called again before the last one settled`))
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  /**
   * Ends the stream with `error` and drops what was buffered: the next `next()` rejects with it (after
   * `client.close()`, no item that arrived earlier is delivered).
   */
  discard(error: unknown): void {
    this.#dropBuffered()
    if (this.#done) {
      // Already ended or failed, perhaps with items left: now nothing is left but the error.
      if (this.#error === null) this.#error = error
      return
    }
    this.fail(error)
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#done) {
      this.#done = true
      this.#dropBuffered()
      this.hooks.cancel('break')
      this.#flushWaiter()
    }
    return Promise.resolve({ value: undefined, done: true })
  }

  #dropBuffered(): void {
    if (this.ledger)
      for (let i = this.#head; i < this.#sizes.length; i++) this.ledger.release('buffered', this.#sizes[i]!)
    this.#items = []
    this.#sizes = []
    this.#head = 0
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #taken(): void {
    this.#consumed++
    if (this.#consumed * 2 >= this.window && !this.#done) {
      this.#outstanding += this.#consumed
      this.hooks.grant(this.#consumed)
      this.#consumed = 0
    }
  }

  #flushWaiter(): void {
    const w = this.#waiter
    if (!w) return
    this.#waiter = null
    if (this.#error !== null) {
      const e = this.#error
      this.#error = null
      w.reject(e)
    } else w.resolve({ value: undefined, done: true })
  }
}
