import { incomingCalls } from './incomingCalls.js'
import { type SessionOptions, SessionRouter } from './sessionRouter.js'
import type { Transport } from './transport.js'

export type { BaseContext, CallOptions, SessionOptions } from './sessionRouter.js'

/**
 * A session that also runs the peer's calls: the router of envelopes ({@link SessionRouter}) with the
 * incoming side ({@link incomingCalls}) wired in. Hosts use it, and clients that have handlers; a client
 * without handlers uses the bare router, so a bundler can leave the handler-running code out.
 *
 * @example
 * const session = new Session(transport, { role: 'host', handlers, ...resolveEndpointOptions(o, codec), ... })
 * session.start()
 */
export class Session extends SessionRouter {
  constructor(transport: Transport, o: SessionOptions) {
    super(transport, { incoming: incomingCalls, ...o })
  }
}
