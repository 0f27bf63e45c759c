import type { ContextualHandler } from './types.js'

const CONTEXTUAL = Symbol.for('nmrpc.contextual')

/**
 * Marks a handler that wants the call's context (its `AbortSignal`, the caller, a typed peer to call back)
 * as its first argument. Callers on the other side do not pass it: their type has just the real arguments.
 * Costs nothing per call but one property check.
 *
 * @example
 * defineHost({
 *   slow: withContext(async (ctx, ms: number) => {
 *     await setTimeout(ms, undefined, { signal: ctx.signal })
 *     return ctx.caller.origin
 *   }),
 * })
 */
export function withContext<Ctx, A extends unknown[], R>(
  handler: (ctx: Ctx, ...args: A) => R,
): ContextualHandler<Ctx, A, R> {
  Object.defineProperty(handler, CONTEXTUAL, { value: true })
  return handler as ContextualHandler<Ctx, A, R>
}

export function isContextual(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[CONTEXTUAL] === true
}
