import type { AnyFunction, HandlerEntry } from '../shared/handlers.js'
import type { HostContext } from './defineHost.js'

/** What host middleware receives: the handler's context plus the call's arguments. */
export interface HostCallContext<PeerApi = unknown> extends HostContext<PeerApi> {
  /**
   * The call's arguments as decoded, before the handler's own `validate(...)` runs (stream arguments are
   * AsyncIterables). Read-only: a middleware decides whether and how the call runs, not what it receives.
   */
  readonly args: readonly unknown[]
}

type Empty = Record<never, never>

/**
 * Runs the rest of the chain (later middleware, then the handler) and resolves with its result: the
 * handler's value, or for a streaming handler its async iterable (the stream has started, not finished).
 * Fields passed in are added to `ctx` for the middleware after this one and for the handler.
 */
export type HostNext<Added extends object> = Empty extends Added
  ? (added?: Added) => Promise<unknown>
  : (added: Added) => Promise<unknown>

/**
 * A function around every call the host answers: `ctx` is the call's context (`path`, `caller`, `args`,
 * `signal`, `peer`, plus what earlier middleware added); `next` runs the rest. What it throws crosses
 * to the caller like a handler's error; what it returns is the call's result.
 *
 * `Added` are the fields it gives `next` (see {@link hostMiddleware}); `Needs`, the fields it expects
 * earlier middleware to have added.
 */
export type HostMiddleware<Added extends object = Empty, Needs extends object = Empty> = {
  // Method syntax on purpose: its parameters are bivariant, so middleware that needs or adds fields still
  // fits one `use: [...]` list, and a bare `(ctx, next) => ...` in that list gets `ctx` typed.
  bivariant(ctx: HostCallContext & Needs, next: HostNext<Added>): unknown
}['bivariant']

/** The fields a middleware adds to `ctx`: `HostContext & AddedBy<typeof auth>` types a handler's context. */
export type AddedBy<M> = M extends HostMiddleware<infer A, infer _N> ? A : never

/**
 * Types a host middleware: `Added` names the fields it passes to `next(...)` (the handler's `ctx` gets
 * them), `Needs` those it reads from earlier middleware. At run time it returns `fn` itself.
 *
 * @example
 * const auth = hostMiddleware<{ user: string }>(async (ctx, next) => {
 *   if (ctx.path.startsWith('admin.') && ctx.caller.extensionId !== ADMIN_ID)
 *     throw new RpcError('FORBIDDEN', `${ctx.path} is for the admin extension only`)
 *   return next({ user: ctx.caller.extensionId ?? 'unknown' })
 * })
 * const host = defineHost(
 *   { whoami: withContext((ctx: HostContext & AddedBy<typeof auth>) => ctx.user) },
 *   { use: [auth] },
 * )
 */
export function hostMiddleware<Added extends object = Empty, Needs extends object = Empty>(
  fn: HostMiddleware<Added, Needs>,
): HostMiddleware<Added, Needs> {
  if (typeof fn !== 'function')
    throw new TypeError(`hostMiddleware needs a function (ctx, next) => ..., got ${typeof fn}`)
  return fn
}

/** The type middleware lists are checked against; `Needs` is the author's promise, not checked here. */
// biome-ignore lint/suspicious/noExplicitAny: a list mixes middleware that add different fields.
export type AnyHostMiddleware = HostMiddleware<any>

/** Context fields a middleware may not replace: the session's own, which budgets and cancellation rely on. */
const RESERVED = new Set(['signal', 'path', 'args'])

/**
 * Wraps every handler of a flattened table so the middleware chain runs around it. Each wrapped entry is
 * contextual (it needs the call's context for the chain); the handler gets the context only if it asked
 * for it. The session still does all its checks (argument limits, concurrency, queue) before the chain
 * runs and all its reply checks (codec, size, stream limits) after, so middleware cannot skip a budget.
 */
export function applyHostMiddleware(
  table: Map<string, HandlerEntry>,
  chain: readonly AnyHostMiddleware[],
): Map<string, HandlerEntry> {
  if (chain.length === 0) return table
  const out = new Map<string, HandlerEntry>()
  for (const [path, entry] of table) {
    const fn = (ctx: HostContext, ...args: unknown[]): Promise<unknown> =>
      run(chain, entry, { ...ctx, args }, args, 0)
    out.set(path, { fn: fn as AnyFunction, contextual: true })
  }
  return out
}

function run(
  chain: readonly AnyHostMiddleware[],
  entry: HandlerEntry,
  ctx: HostCallContext,
  args: unknown[],
  i: number,
): Promise<unknown> {
  return new Promise<unknown>((resolve) => {
    if (i === chain.length) {
      resolve(entry.contextual ? entry.fn(ctx, ...args) : entry.fn(...args))
      return
    }
    let called = false
    const next = (added?: object): Promise<unknown> => {
      if (called)
        return Promise.reject(
          new Error(
            `middleware #${i + 1} of "${ctx.path}" called next() twice; a call runs its handler once`,
          ),
        )
      called = true
      if (added === undefined) return run(chain, entry, ctx, args, i + 1)
      if (typeof added !== 'object' || added === null)
        return Promise.reject(
          new TypeError(
            `middleware #${i + 1} of "${ctx.path}" passed ${String(added)} to next(); pass an object of fields to add to ctx, or nothing`,
          ),
        )
      for (const key of Object.keys(added))
        if (RESERVED.has(key))
          return Promise.reject(
            new TypeError(
              `middleware #${i + 1} of "${ctx.path}" tried to replace ctx.${key}; the session owns it. Add a field with another name`,
            ),
          )
      return run(chain, entry, { ...ctx, ...added }, args, i + 1)
    }
    // The chain's middleware is typed for callers; here it runs with whatever fields were added.
    resolve((chain[i] as (c: HostCallContext, n: typeof next) => unknown)(ctx, next))
  })
}
