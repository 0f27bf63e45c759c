import { RpcError } from './errors.js'
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
  private state = PENDING
  private value: unknown
  private queue: StreamQueue<T> | null = null
  private listeners: Array<() => void> | null = null
  private iterated = false

  constructor(
    readonly path: string,
    private readonly window: number,
    private readonly hooks: StreamQueueHooks,
  ) {}

  /** @internal The unary result arrived. */
  settleValue(value: unknown): void {
    if (this.state !== PENDING) return
    this.state = VALUE
    this.value = value
    this.notify()
  }

  /** @internal The call failed (before or during its stream). */
  settleError(error: RpcError): void {
    if (this.state === STREAM) {
      this.queue!.fail(error)
      return
    }
    if (this.state !== PENDING) return
    this.state = FAILED
    this.value = error
    this.notify()
  }

  /** @internal The reply is a stream; returns the queue its items go into. */
  streamQueue(): StreamQueue<T> {
    if (this.state === PENDING) {
      this.state = STREAM
      this.queue = new StreamQueue<T>(this.window, this.hooks, `stream "${this.path}"`)
      this.notify()
    }
    return this.queue!
  }

  // biome-ignore lint/suspicious/noThenProperty: a RemoteCall is deliberately awaitable.
  then<A = T, B = never>(
    onValue?: ((value: T) => A | PromiseLike<A>) | null,
    onError?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.settled().then(onValue, onError)
  }

  catch<B = never>(onError?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, onError)
  }

  finally(fn?: (() => void) | null): Promise<T> {
    return this.settled().finally(fn)
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated)
      throw new TypeError(`stream "${this.path}" is already being read; a remote stream can be iterated once`)
    this.iterated = true
    return {
      next: () => this.firstReply().then(() => this.queue!.next()),
      return: () => {
        if (this.state === PENDING) {
          // Broke out before the first item: cancel the call itself.
          this.hooks.cancel('break')
          this.settleError(new RpcError('CANCELLED', `stream "${this.path}" was stopped by its consumer`))
          return Promise.resolve({ value: undefined, done: true })
        }
        return this.queue ? this.queue.return() : Promise.resolve({ value: undefined, done: true })
      },
    }
  }

  private firstReply(): Promise<void> {
    return this.wait().then(() => {
      if (this.state === FAILED) throw this.value
      if (this.state === VALUE)
        throw new RpcError(
          'NOT_A_STREAM',
          `"${this.path}" returned a single value, not a stream; use \`await\` instead of \`for await\``,
        )
    })
  }

  private settled(): Promise<T> {
    return this.wait().then(() => {
      if (this.state === FAILED) throw this.value
      if (this.state === VALUE) return this.value as T
      // A stream awaited: hand out an iterable (not `this`: resolving with a thenable would loop).
      const self = this
      return { [Symbol.asyncIterator]: () => self[Symbol.asyncIterator]() } as T
    })
  }

  private wait(): Promise<void> {
    if (this.state !== PENDING) return Promise.resolve()
    return new Promise((resolve) => {
      this.listeners ??= []
      this.listeners.push(resolve)
    })
  }

  private notify(): void {
    const ls = this.listeners
    this.listeners = null
    if (ls) for (const l of ls) l()
  }
}
