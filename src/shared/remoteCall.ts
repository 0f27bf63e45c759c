import { RpcError } from './errors.js'
import type { Ledger } from './ledger.js'
import { StreamQueue, type StreamQueueHooks } from './streamQueue.js'

const PENDING = 0
const VALUE = 1
const STREAM = 2
const FAILED = 3

/**
 * What `client.call.x(...)` returns. The call is already sent. It is both awaitable (a unary result) and
 * async-iterable (a stream result), because the caller's types know which one the handler is but the
 * runtime does not until the reply comes. Unlike a bare Promise it never raises an unhandled rejection if
 * nobody awaits it: a fire-and-forget call that fails is just dropped.
 */
export class RemoteCall<T = unknown> implements PromiseLike<T>, AsyncIterable<T> {
  #state = PENDING
  #value: unknown
  #queue: StreamQueue<T> | null = null
  /** Made on the first `then` only, so nobody awaiting means no promise that could reject unhandled. */
  #promise: Promise<T> | null = null
  #resolvePromise: ((v: T) => void) | null = null
  #rejectPromise: ((e: unknown) => void) | null = null
  /** Iterators waiting for the first reply. */
  #waiters: Array<() => void> | null = null
  #iterated = false

  constructor(
    readonly path: string,
    private readonly window: number,
    private readonly hooks: StreamQueueHooks,
    /** Where the result stream's unread items are charged. */
    private readonly ledger?: Ledger,
  ) {}

  /** @internal The unary result arrived. */
  settleValue(value: unknown): void {
    if (this.#state !== PENDING) return
    this.#state = VALUE
    this.#value = value
    this.#resolvePromise?.(value as T)
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
    this.#rejectPromise?.(error)
    this.#wake()
  }

  /** @internal The reply is a stream; returns the queue its items go into. */
  streamQueue(): StreamQueue<T> {
    if (this.#state === PENDING) {
      this.#state = STREAM
      this.#queue = new StreamQueue<T>(this.window, this.hooks, `stream "${this.path}"`, this.ledger)
      this.#resolvePromise?.(this.#iterable())
      this.#wake()
    }
    return this.#queue!
  }

  // biome-ignore lint/suspicious/noThenProperty: a RemoteCall is deliberately awaitable.
  then<A = T, B = never>(
    onValue?: ((value: T) => A | PromiseLike<A>) | null,
    onError?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#settled().then(onValue, onError)
  }

  catch<B = never>(onError?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#settled().then(undefined, onError)
  }

  finally(fn?: (() => void) | null): Promise<T> {
    return this.#settled().finally(fn)
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
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

  #settled(): Promise<T> {
    if (this.#promise) return this.#promise
    switch (this.#state) {
      case PENDING:
        this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolvePromise = resolve
          this.#rejectPromise = reject
        })
        break
      case VALUE:
        this.#promise = Promise.resolve(this.#value as T)
        break
      case FAILED:
        this.#promise = Promise.reject(this.#value)
        break
      default:
        this.#promise = Promise.resolve(this.#iterable())
    }
    return this.#promise
  }

  /** What awaiting a stream gives: an iterable (not `this`: resolving with a thenable would loop). */
  #iterable(): T {
    return { [Symbol.asyncIterator]: () => this[Symbol.asyncIterator]() } as T
  }

  #wake(): void {
    const ws = this.#waiters
    this.#waiters = null
    if (ws) for (const w of ws) w()
  }
}
