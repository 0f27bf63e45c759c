import { RpcError } from '../shared/errors.js'
import { type CallResult, isCallResult } from '../shared/remoteCall.js'
import type { CallOptions } from '../shared/session.js'

/** What client middleware receives for one outgoing call. Change `args` or `options` before `next()`. */
export interface ClientCallContext {
  /** The dotted method path being called. */
  readonly path: string
  /** The arguments to send. */
  args: unknown[]
  /** This call's options (from `client.with(...)`): set `options.timeout ??= 5_000` for a default. */
  options: CallOptions
}

/** An outgoing call: awaitable for a unary result, iterable with `for await` for a stream. */
export type OutgoingCall = PromiseLike<unknown> & AsyncIterable<unknown>

/**
 * A function around every call this client makes: logging, a default timeout, a retry. `next()` sends the
 * call and returns it at once. Return that call (or `next()` itself) to keep streams and cancellation
 * exactly as they are; an `async` middleware works too, its promise becomes the call's result (a stream
 * is then iterated once that promise resolves).
 */
export type ClientMiddleware = (ctx: ClientCallContext, next: () => OutgoingCall) => unknown

/**
 * Runs `chain` around one outgoing call; `send` is the real call at the end of the chain.
 * @internal used by createClient
 */
export function runClientMiddleware(
  chain: readonly ClientMiddleware[],
  path: string,
  args: unknown[],
  options: CallOptions,
  send: (path: string, args: unknown[], options: CallOptions) => CallResult,
): OutgoingCall {
  const ctx: ClientCallContext = { path, args: args.slice(), options: { ...options } }
  const dispatch = (i: number): OutgoingCall => {
    if (i === chain.length) return send(ctx.path, ctx.args, ctx.options)
    let called = false
    const next = (): OutgoingCall => {
      if (called)
        throw new Error(`client middleware #${i + 1} called next() twice for "${path}"; a call is sent once`)
      called = true
      return dispatch(i + 1)
    }
    let result: unknown
    try {
      result = chain[i]!(ctx, next)
    } catch (e) {
      return new DeferredCall(path, Promise.reject(e))
    }
    if (isCallResult(result) || result instanceof DeferredCall) return result
    return new DeferredCall(path, Promise.resolve(result))
  }
  return dispatch(0)
}

/** The call an async middleware made: its promise, awaitable and iterable like a RemoteCall. */
class DeferredCall implements PromiseLike<unknown>, AsyncIterable<unknown> {
  constructor(
    private readonly path: string,
    private readonly result: Promise<unknown>,
  ) {
    // Like a RemoteCall, a call nobody awaits never raises an unhandled rejection.
    result.catch(() => {})
  }

  // biome-ignore lint/suspicious/noThenProperty: the call is deliberately awaitable.
  then<A = unknown, B = never>(
    onValue?: ((value: unknown) => A | PromiseLike<A>) | null,
    onError?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onValue, onError)
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    let inner: AsyncIterator<unknown> | undefined
    const open = async (): Promise<AsyncIterator<unknown>> => {
      if (inner) return inner
      const value = await this.result
      if (typeof value !== 'object' || value === null || !(Symbol.asyncIterator in value))
        throw new RpcError(
          'NOT_A_STREAM',
          `"${this.path}" returned a single value, not a stream; use \`await\` instead of \`for await\``,
        )
      inner = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      return inner
    }
    return {
      next: async () => (await open()).next(),
      return: async () => {
        const it = await open().catch(() => undefined)
        await it?.return?.()
        return { value: undefined, done: true }
      },
    }
  }
}
