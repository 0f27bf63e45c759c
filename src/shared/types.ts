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
 * A web `ReadableStream` of `T`, described by the members nmrpc uses, so that these types need neither the
 * DOM lib nor `@types/node`. The DOM's and Node's `ReadableStream<T>` both fit.
 */
export interface ReadableStreamLike<T> {
  getReader(): {
    read(): PromiseLike<{ done: false; value: T } | { done: true; value?: unknown }>
    cancel(reason?: unknown): PromiseLike<void>
    releaseLock(): void
  }
}

// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns `void` must map to `void`, not to an object type
type Primitive = string | number | boolean | bigint | null | undefined | void
/** Any function, whatever its signature: it is dropped the same way. */
type AnyFunction = Function

/**
 * The type a value of type `T` has after crossing with the default codec (superjson), which is what the
 * other side really gets: a Node `Buffer` (or any `Uint8Array` subclass) arrives as a plain `Uint8Array`;
 * class instances arrive as plain objects with their own data properties (methods are lost); functions and
 * symbol-valued properties are dropped; errors arrive as `Error`; `Date`, `RegExp`, `URL`, `Map`, `Set`,
 * `BigInt`, typed arrays and `ArrayBuffer` keep their type; a `DataView`, `WeakMap` or nested promise
 * arrives as an empty object. `any` and `unknown` stay as they are.
 */
export type Wire<T> = 0 extends 1 & T
  ? T
  : unknown extends T
    ? T
    : T extends Primitive
      ? T
      : T extends AnyFunction | symbol
        ? undefined
        : T extends Uint8Array
          ? Uint8Array
          : T extends DataView | WeakMap<object, unknown> | WeakSet<object> | PromiseLike<unknown>
            ? Record<string, never>
            : T extends Date | RegExp | ArrayBuffer | ArrayBufferView
              ? T
              : T extends { readonly href: string; readonly searchParams: unknown; toJSON(): string }
                ? T // a URL (named structurally: the type must not need the DOM lib)
                : T extends Error
                  ? Error
                  : T extends ReadonlyMap<infer K, infer V>
                    ? Map<Wire<K>, Wire<V>>
                    : T extends ReadonlySet<infer V>
                      ? Set<Wire<V>>
                      : T extends readonly unknown[]
                        ? { -readonly [I in keyof T]: T[I] extends AnyFunction | symbol ? null : Wire<T[I]> }
                        : {
                            [K in keyof T as K extends symbol
                              ? never
                              : T[K] extends AnyFunction | symbol
                                ? never
                                : K]: Wire<T[K]>
                          }

/**
 * The result type of a remote call: a stream when the handler returns (or resolves to) an async iterable,
 * else a promise of the awaited value as it arrives ({@link Wire}). A handler typed `any` (such as one
 * returning `JSON.parse(s)`) gives `Promise<any>`, never a stream.
 */
export type RemoteResult<R> = 0 extends 1 & R
  ? Promise<R> // R is `any` here: the handler's own `any`, passed on as is
  : [Awaited<R>] extends [never]
    ? Promise<never> // a handler that always throws
    : [Awaited<R>] extends [AsyncIterable<infer I>]
      ? RemoteStream<Wire<I>>
      : Promise<Wire<Awaited<R>>>

/**
 * What a caller is asked for where the handler declares a function or a symbol: nothing can satisfy it, so
 * passing one is a compile error that names the problem, as the call would fail at run time with
 * `BAD_REQUEST` before anything is sent. Callbacks go the other way: the host calls the client's
 * `handlers`, or emits events.
 */
export interface CannotCross<What extends 'a function' | 'a symbol'> {
  readonly '~nmrpc: cannot be sent to the other side': What
}

/**
 * One value as callers may pass it. Where TypeScript can tell that a value can never cross (a parameter or
 * an array element typed as a function or a symbol), it becomes {@link CannotCross}. A function-typed
 * property inside an object is left alone: TypeScript cannot tell it from a method on a class's prototype,
 * which crossing drops harmlessly; an own function property is refused at run time with `BAD_REQUEST`.
 */
type Crossing<P> = 0 extends 1 & P
  ? P
  : P extends AnyFunction
    ? CannotCross<'a function'>
    : P extends symbol
      ? CannotCross<'a symbol'>
      : P extends readonly unknown[]
        ? { [I in keyof P]: Crossing<P[I]> }
        : P

/**
 * A parameter as callers may pass it: where the handler takes an `AsyncIterable<T>`, a `ReadableStream<T>`
 * too; where it takes a function or a symbol, nothing ({@link CannotCross}).
 */
export type RemoteParam<P> = P extends AsyncIterable<infer T> ? P | ReadableStreamLike<T> : Crossing<P>

/** A handler's parameter list as callers may pass it ({@link RemoteParam} for each). */
export type RemoteParams<A extends unknown[]> = { [I in keyof A]: RemoteParam<A[I]> }

/** A remote method: the handler's parameters (streams also as `ReadableStream`), result per {@link RemoteResult}. */
export type RemoteMethod<A extends unknown[], R> = (...args: RemoteParams<A>) => RemoteResult<R>

/** Names that are never reachable remotely (see `flattenHandlers`): private by convention. */
type HiddenName = `_${string}` | `#${string}`

/**
 * The callable view of an API: each handler becomes a {@link RemoteMethod}, each namespace object
 * recursively the same; anything else (numbers, strings on the handler table) is not callable and is left
 * out, as are names starting with `_` or `#` and (by TypeScript itself) `private` members, which the host
 * never exposes. `ContextualHandler`s lose their context parameter.
 */
export type Remote<T> = {
  [K in keyof T as K extends string
    ? K extends HiddenName
      ? never
      : T[K] extends object
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

/**
 * The event map of `T` (so `client.on` accepts only its names), or a map of any name to `unknown` when `T`
 * declares none. Payloads are typed as they arrive ({@link Wire}).
 */
export type EventsOf<T> =
  T extends EventCarrier<infer E> ? (unknown extends E ? EventMap : { [K in keyof E]: Wire<E[K]> }) : EventMap
