import type { BaseContext } from '../shared/session.js'
import type { ContextualHandler, Remote } from '../shared/types.js'
import { withContext as mark } from '../shared/withContext.js'

/** What a `withContext` handler on the extension side receives first. */
export interface ClientContext<HostApi = unknown> extends BaseContext {
  /** The host's API, to call back into it. */
  peer: Remote<HostApi>
}

/**
 * Marks an extension-side handler (given to `createClient(..., { handlers })`) that wants the call's
 * context as its first argument: `ctx.signal` and `ctx.peer` (the host). The host does not pass `ctx`.
 *
 * @example
 * createClient<Host>('com.acme.app', {
 *   handlers: { confirm: withContext(async (ctx, q: string) => ask(q, ctx.signal)) },
 * })
 */
export function withContext<A extends unknown[], R, HostApi = unknown>(
  handler: (ctx: ClientContext<HostApi>, ...args: A) => R,
): ContextualHandler<ClientContext<HostApi>, A, R> {
  return mark(handler)
}
