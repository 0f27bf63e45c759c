import type { Deadlines, Timed } from './deadlines.js'
import { RpcError } from './errors.js'
import type { Ledger } from './ledger.js'
import type { Producer } from './producer.js'
import { RemoteCall } from './remoteCall.js'
import type { StreamQueue, StreamQueueHooks } from './streamQueue.js'

/**
 * Where a call this end made stands:
 * - `waiting`: sent, nothing back yet (the reply timer runs);
 * - `arriving`: a reply is coming in pieces (chunks or binary parts); the timer is re-armed by each piece;
 * - `streaming`: the reply is a stream and items are coming (no timer: the producer may be slow on purpose);
 * - `done`: settled; nothing more is accepted for it.
 */
export type OutgoingState = 'waiting' | 'arriving' | 'streaming' | 'done'

/** What an outgoing call needs from its session. */
export interface OutgoingHooks {
  /** The call ended here: forget it, stop its argument streams and drop what is still coming for it. */
  ended(call: OutgoingCall): void
  /** Tell the peer to stop working on the call. */
  cancel(call: OutgoingCall, why: string): void
  /** Grant the peer `n` more items of the call's result stream. */
  credit(call: OutgoingCall, n: number): void
  /** The session's reply deadlines (one timer for all its calls). */
  readonly deadlines: Deadlines
}

/**
 * A call this end made, with its states, its reply deadline and its abort listener. The session routes
 * reply envelopes to it; each method says whether the envelope made sense in the current state, and an
 * envelope that does not fails the call with `PROTOCOL_ERROR` instead of leaving it pending.
 */
export class OutgoingCall implements Timed, StreamQueueHooks {
  state: OutgoingState = 'waiting'
  /** What the caller holds: awaitable and iterable; its result stream's consumer reports back here. */
  readonly call: RemoteCall
  /** Producers of this call's argument streams, by argument index. */
  args: Producer[] | undefined
  /**
   * Something for this call may be held or moving besides its envelope: a piece of its reply arrived
   * (chunk, string part, binary part), or the call itself went out in pieces. Only then does its end
   * look for leftovers to drop; a small call answered whole has none.
   */
  pieces = false
  deadline = 0
  tList: Timed['tList']
  tPrev: Timed | undefined
  tNext: Timed | undefined
  #onAbort: (() => void) | undefined

  constructor(
    readonly id: number,
    readonly path: string,
    window: number,
    ledger: Ledger,
    private readonly peer: string,
    private readonly timeout: number,
    private readonly signal: AbortSignal | undefined,
    private readonly hooks: OutgoingHooks,
  ) {
    this.call = new RemoteCall(path, window, this, ledger)
    this.#arm()
    if (signal) {
      this.#onAbort = () => {
        if (this.state === 'done') return
        this.hooks.cancel(this, 'abort')
        this.fail(abortError(path, signal))
      }
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /** @internal The consumer of the result stream took `n` items. */
  grant(n: number): void {
    this.hooks.credit(this, n)
  }

  /** @internal The caller stopped reading the result (break before the first item, return, abort). */
  cancel(why: string): void {
    if (this.state === 'done') return
    this.end()
    this.hooks.cancel(this, why)
  }

  /** True until the call settled. */
  get live(): boolean {
    return this.state !== 'done'
  }

  /**
   * A piece of the reply or of a stream item (a chunk, an envelope awaiting binary parts, a part) arrived:
   * it is on its way, so wait for the next piece, each with a fresh deadline.
   */
  piece(): void {
    if (this.state === 'done') return
    this.pieces = true
    if (this.state === 'waiting') this.state = 'arriving'
    this.#arm()
  }

  /** The unary result. False when the call is a stream: `ok` after `next` makes no sense. */
  ok(value: unknown): boolean {
    if (this.state === 'streaming') return false
    this.end()
    this.call.settleValue(value)
    return true
  }

  /** The unary result could not be decoded, or the peer said the call failed. */
  fail(error: RpcError): void {
    if (this.state === 'done') return
    this.end()
    this.call.settleError(error)
  }

  /** A stream item: the queue to push it into. */
  next(): StreamQueue<unknown> {
    this.state = 'streaming'
    this.#disarm()
    return this.call.streamQueue()
  }

  /** The stream ended (an empty stream may end without any item). */
  streamEnd(): void {
    this.end()
    this.call.streamQueue().end()
  }

  /** Fails the call because the peer broke the protocol for it, and tells the peer to stop. */
  violation(message: string, why = 'protocol error'): void {
    if (this.state === 'done') return
    this.hooks.cancel(this, why)
    this.fail(new RpcError('PROTOCOL_ERROR', `Call to "${this.path}" failed: ${message}`))
  }

  /** Ends the call without settling it (the caller settles it, or it was settled already). */
  end(): void {
    if (this.state === 'done') return
    this.state = 'done'
    this.#disarm()
    if (this.#onAbort) this.signal!.removeEventListener('abort', this.#onAbort)
    this.hooks.ended(this)
  }

  #arm(): void {
    this.hooks.deadlines.arm(this, this.timeout)
  }

  #disarm(): void {
    if (this.tList) this.hooks.deadlines.disarm(this)
  }

  /** @internal Its deadline passed (see {@link Deadlines}). */
  expire(): void {
    if (this.state === 'done') return
    const ms = this.timeout
    const what =
      this.state === 'arriving'
        ? `its reply started to arrive but no piece of it came for ${ms} ms (the peer stalled mid-reply)`
        : this.state === 'streaming'
          ? `an item of its stream started to arrive but no piece of it came for ${ms} ms`
          : `timed out after ${ms} ms; the handler may be stuck or slow`
    this.hooks.cancel(this, 'timeout')
    this.fail(
      new RpcError(
        'TIMEOUT',
        `Call to "${this.path}" on ${this.peer} ${what}: fix it, or raise the limit with .with({ timeout }) ` +
          'or the timeout option',
      ),
    )
  }
}

/** The error of a call aborted through its signal, with the signal's reason. */
export function abortError(path: string, signal: AbortSignal): RpcError {
  const reason = signal.reason
  const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason)
  return new RpcError('ABORTED', `Call to "${path}" was aborted${why ? `: ${why}` : ''}`, { cause: reason })
}
