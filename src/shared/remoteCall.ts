import { RpcError } from './errors.js'
import type { Ledger } from './ledger.js'
import { StreamQueue, type StreamQueueHooks } from './streamQueue.js'

const PENDING = 0
const VALUE = 1
const STREAM = 2
const FAILED = 3

/** What `client.call.x(...)` returns: a native promise of the result that is also async-iterable. */
export type CallResult<T = unknown> = Promise<T> & AsyncIterable<T>

/** Where a {@link CallResult} keeps its call, for the shared `[Symbol.asyncIterator]` below. */
const CALL = Symbol('nmrpc.call')

/** `result[Symbol.asyncIterator]`: one function for every call, reading the call off the promise. */
function iterateCall<T>(this: { [CALL]: RemoteCall<T> }): AsyncIterator<T> {
  return this[CALL].iterator()
}

const ignore = () => {}

/** True for what a call of this package returned (middleware passes those through as they are). */
export function isCallResult(v: unknown): v is CallResult {
  return v instanceof Promise && CALL in v
}

/**
 * The state of what `client.call.x(...)` returns. The call is already sent. Its {@link result} is both
 * awaitable (a unary result) and async-iterable (a stream result), because the caller's types know which
 * one the handler is but the runtime does not until the reply comes. It is a native promise, so `await`
 * takes it directly (a thenable costs two more promises and two more microtask jobs per call), with
 * `[Symbol.asyncIterator]` added. Unlike a bare Promise it never raises an unhandled rejection if nobody
 * awaits it: a fire-and-forget call that fails is just dropped.
 */
export class RemoteCall<T = unknown> {
  #state = PENDING
  #value: unknown
  #queue: StreamQueue<T> | null = null
  /** What the caller holds. */
  readonly result: CallResult<T>
  #resolve!: (v: T) => void
  #reject!: (e: unknown) => void
  /** Iterators waiting for the first reply. */
  #waiters: Array<() => void> | null = null
  #iterated = false

  constructor(
    readonly path: string,
    private readonly window: number,
    private readonly hooks: StreamQueueHooks,
    /** Where the result stream's unread items are charged. */
    private readonly ledger?: Ledger,
  ) {
    const result = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    }) as CallResult<T> & { [CALL]: RemoteCall<T> }
    result[CALL] = this
    result[Symbol.asyncIterator] = iterateCall
    this.result = result
  }

  /** @internal The unary result arrived. */
  settleValue(value: unknown): void {
    if (this.#state !== PENDING) return
    this.#state = VALUE
    this.#value = value
    this.#resolve(value as T)
    this.#wake()
  }

  /** @internal The call failed (before or during its stream). */
  settleError(error: RpcError): void {
    if (this.#state === STREAM) {
      this.#queue!.fail(error)
      return
    }
    if (this.#state !== PENDING) return
    this.#state = FAILED
    this.#value = error
    // A handler before the rejection: nobody awaiting it is no unhandled rejection (awaiting it still throws).
    this.result.then(undefined, ignore)
    this.#reject(error)
    this.#wake()
  }

  /** @internal The reply is a stream; returns the queue its items go into. */
  streamQueue(): StreamQueue<T> {
    if (this.#state === PENDING) {
      this.#state = STREAM
      this.#queue = new StreamQueue<T>(this.window, this.hooks, `stream "${this.path}"`, this.ledger)
      this.#resolve(this.#iterable())
      this.#wake()
    }
    return this.#queue!
  }

  /** @internal `result[Symbol.asyncIterator]()`: the result stream, readable once. */
  iterator(): AsyncIterator<T> {
    if (this.#iterated)
      throw new TypeError(`stream "${this.path}" is already being read; a remote stream can be iterated once`)
    this.#iterated = true
    return {
      next: () =>
        this.#state === STREAM ? this.#queue!.next() : this.#firstReply().then(() => this.#queue!.next()),
      return: () => {
        if (this.#state === PENDING) {
          // Broke out before the first item: cancel the call itself.
          this.hooks.cancel('break')
          this.settleError(new RpcError('CANCELLED', `stream "${this.path}" was stopped by its consumer`))
          return Promise.resolve({ value: undefined, done: true })
        }
        return this.#queue ? this.#queue.return() : Promise.resolve({ value: undefined, done: true })
      },
    }
  }

  #firstReply(): Promise<void> {
    const check = () => {
      if (this.#state === FAILED) throw this.#value
      if (this.#state === VALUE)
        throw new RpcError(
          'NOT_A_STREAM',
          `"${this.path}" returned a single value, not a stream; use \`await\` instead of \`for await\``,
        )
    }
    if (this.#state !== PENDING) return Promise.resolve().then(check)
    return new Promise<void>((resolve) => {
      this.#waiters ??= []
      this.#waiters.push(resolve)
    }).then(check)
  }

  /** What awaiting a stream gives: an iterable (not the result itself: a promise resolved with itself fails). */
  #iterable(): T {
    return { [Symbol.asyncIterator]: () => this.iterator() } as T
  }

  #wake(): void {
    const ws = this.#waiters
    this.#waiters = null
    if (ws) for (const w of ws) w()
  }
}
