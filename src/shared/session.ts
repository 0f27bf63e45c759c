import type { RpcError } from './errors.js'
import { incomingCalls } from './incomingCalls.js'
import type { CallEnvelope, Envelope } from './protocol.js'
import { type SessionOptions, SessionRouter } from './sessionRouter.js'
import type { Transport } from './transport.js'

export type { BaseContext, CallOptions, SessionOptions } from './sessionRouter.js'

/**
 * A session that also runs the peer's calls: the router of envelopes ({@link SessionRouter}) with the
 * incoming side ({@link incomingCalls}) wired in, and a host's gate: refusing calls (shutting down, a
 * refused caller) and, as a host, refusing calls from an extension that speaks another protocol version.
 * Hosts use it; a client uses the bare router (with `incoming` when it has handlers), so a bundler leaves
 * the handler-running and refusing code out of it.
 *
 * @example
 * const session = new Session(transport, { role: 'host', handlers, ...resolveEndpointOptions(o, codec), ... })
 * session.start()
 */
export class Session extends SessionRouter {
  #versionError: RpcError | null = null
  #refusing: { reason: string; code: string } | null = null
  /** Set when the caller itself is refused: nothing it sends is processed. */
  #refusedCaller = false
  #dropped = 0

  constructor(transport: Transport, o: SessionOptions) {
    super(transport, { incoming: incomingCalls, ...o })
  }

  /** A host keeps running and answers every call with the version error; a client closes. */
  protected override versionMismatch(error: RpcError): void {
    if (this.o.role === 'host') this.#versionError = error
    else super.versionMismatch(error)
  }

  /**
   * For a refused caller: answers its calls (chunked ones at their last piece, without storing any) and
   * drops everything else unprocessed. True when `env` was dealt with here.
   */
  protected override screen(env: Envelope): boolean {
    if (!this.#refusedCaller || env.t === 'hello') return false
    if (env.t === 'call') return this.refused(env)
    if (env.t === 'chunk' && env.of === 'call' && env.id !== undefined && env.end === 1) {
      this.#refuseCall(env.id, '(a chunked call)')
      return true
    }
    if (this.#dropped++ === 0)
      this.o.log(
        `nmrpc: ignoring everything but calls from ${this.o.peer}: it is refused (${this.#refusing?.reason})`,
      )
    return true
  }

  protected override refused(env: CallEnvelope): boolean {
    if (this.#versionError) {
      this.outbox.send({
        t: 'err',
        id: env.id,
        e: { name: 'RpcError', message: this.#versionError.message, code: 'VERSION_MISMATCH' },
      })
      return true
    }
    if (this.#refusing) {
      this.#refuseCall(env.id, `to "${env.p}"`)
      return true
    }
    return false
  }

  #refuseCall(id: number, what: string): void {
    const r = this.#refusing!
    this.outbox.send({
      t: 'err',
      id,
      e: { name: 'RpcError', message: `Call ${what} refused: ${r.reason}`, code: r.code },
    })
    this.o.onRefused?.()
  }

  /** New incoming calls are answered with an error (`CLOSED` by default) from now on; running ones go on. */
  refuseCalls(reason: string, code = 'CLOSED'): void {
    this.#refusing = { reason, code }
  }

  /**
   * The caller itself is refused (it is not in `allowedCallers`): its calls are answered with `code`, and
   * nothing else it sends (events, chunks, binary parts, stream items) is processed or stored.
   */
  refuseCaller(reason: string, code = 'UNAUTHORIZED'): void {
    this.#refusing = { reason, code }
    this.#refusedCaller = true
    this.reassembler.clear()
    this.strings.clear()
    this.blobInbox.clear()
  }
}
