/**
 * The types that carry a handler table's API to the other side. Everything here is type-level: the
 * runtime is the call proxy, which knows nothing of types.
 */

declare const contextual: unique symbol

/**
 * A handler that takes the call context as its first argument (made with `withContext`). The brand lets
 * the remote type drop that first parameter, so callers pass only the real arguments.
 */
export type ContextualHandler<Ctx, A extends unknown[], R> = ((ctx: Ctx, ...args: A) => R) & {
  readonly [contextual]: true
}

/**
 * What a remote stream is on the calling side: an `AsyncIterable`, read with `for await`. Stop it early
 * with `break` (or the iterator's `return()`), or abort it with `client.with({ signal })`: either way the
 * producer's `finally` runs on the other side.
 */
export type RemoteStream<T> = AsyncIterable<T>

/**
 * The result type of a remote call: a stream when the handler returns (or resolves to) an async iterable,
 * else a promise of the awaited value.
 */
export type RemoteResult<R> = [Awaited<R>] extends [never]
  ? Promise<never> // a handler that always throws
  : [Awaited<R>] extends [AsyncIterable<infer I>]
    ? RemoteStream<I>
    : Promise<Awaited<R>>

/** A remote method: same parameters as the handler, result per {@link RemoteResult}. */
export type RemoteMethod<A extends unknown[], R> = (...args: A) => RemoteResult<R>

/**
 * The callable view of an API: each handler becomes a {@link RemoteMethod}, each namespace object
 * recursively the same; anything else (numbers, strings on the handler table) is not callable and is left
 * out. `ContextualHandler`s lose their context parameter.
 */
export type Remote<T> = {
  [K in keyof T as K extends string
    ? T[K] extends object
      ? K
      : never
    : never]: T[K] extends ContextualHandler<never, infer A, infer R>
    ? RemoteMethod<A, R>
    : T[K] extends (...args: infer A) => infer R
      ? RemoteMethod<A, R>
      : Remote<T[K]>
}

/** Anything that carries an API type: a handler table, or an object branded with one (a host). */
export interface ApiCarrier<Api> {
  /** Type-only: the API this object carries. Never read at run time. */
  readonly '~api'?: Api
}

/** The API type of `T`: `T['~api']` for a host (or client) carrying one, else `T` itself. */
export type ApiOf<T> = T extends ApiCarrier<infer A> ? (unknown extends A ? T : A) : T

/** A map of event names to payload types. */
export type EventMap = Record<string, unknown>

/** Anything that carries the types of the events it emits (a host made with `.withEvents<E>()`). */
export interface EventCarrier<Events> {
  /** Type-only: the events this object emits. Never read at run time. */
  readonly '~events'?: Events
}

/** The event map of `T`, or a map of any name to `unknown` when `T` declares none. */
export type EventsOf<T> =
  T extends EventCarrier<infer E> ? (unknown extends E ? EventMap : E & EventMap) : EventMap
