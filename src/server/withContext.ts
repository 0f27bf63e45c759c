import type { ContextualHandler } from '../shared/types.js'
import { withContext as mark } from '../shared/withContext.js'
import type { HostContext } from './defineHost.js'

/**
 * Marks a host handler that wants the call's context as its first argument: `ctx.signal` (fires when the
 * caller aborts, times out, stops reading, or hangs up), `ctx.caller` (who launched the host) and
 * `ctx.peer` (the extension's handlers; type them with the second type parameter). Callers do not pass
 * `ctx`: on the client the method takes only the real arguments.
 *
 * @example
 * defineHost({
 *   slow: withContext(async (ctx, ms: number) => {
 *     await setTimeout(ms, undefined, { signal: ctx.signal })
 *     return ctx.caller.origin
 *   }),
 * })
 */
export function withContext<A extends unknown[], R, PeerApi = unknown>(
  handler: (ctx: HostContext<PeerApi>, ...args: A) => R,
): ContextualHandler<HostContext<PeerApi>, A, R> {
  return mark(handler)
}
