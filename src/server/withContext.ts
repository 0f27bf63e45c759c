import type { ContextualHandler } from '../shared/types.js'
import { withContext as mark } from '../shared/withContext.js'
import type { HostContext } from './defineHost.js'

/**
 * Marks a host handler that wants the call's context as its first argument: `ctx.signal` (fires when the
 * caller aborts, times out, stops reading, or hangs up), `ctx.caller` (who launched the host) and
 * `ctx.peer` (the extension's handlers; type them with the third type parameter), and the fields host
 * middleware added (annotate `ctx` as `HostContext & AddedBy<typeof mw>`). Callers do not pass `ctx`: on
 * the client the method takes only the real arguments.
 *
 * @example
 * defineHost({
 *   slow: withContext(async (ctx, ms: number) => {
 *     await setTimeout(ms, undefined, { signal: ctx.signal })
 *     return ctx.caller.origin
 *   }),
 * })
 */
export function withContext<
  A extends unknown[],
  R,
  PeerApi = unknown,
  // A wider context (fields added by middleware: `HostContext & AddedBy<typeof auth>`) is inferred from
  // the annotation of `ctx`; unannotated, `ctx` is the plain HostContext.
  Ctx extends HostContext<PeerApi> = HostContext<PeerApi>,
>(handler: (ctx: Ctx, ...args: A) => R): ContextualHandler<Ctx, A, R> {
  return mark(handler)
}
