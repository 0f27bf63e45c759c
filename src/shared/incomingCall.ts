import type { Producer } from './producer.js'
import type { CallEnvelope } from './protocol.js'
import type { StreamQueue } from './streamQueue.js'

/**
 * Where a call the peer made to this end stands:
 * - `queued`: waiting for a handler slot (`maxConcurrentCalls`); its envelope is held and charged;
 * - `running`: the handler runs;
 * - `streaming`: the handler returned a stream, which is being sent under the peer's credit;
 * - `done`: answered or cancelled; nothing more is accepted for it.
 */
export type IncomingState = 'queued' | 'running' | 'streaming' | 'done'

/**
 * A call the peer made to this end: its state, the handler's abort controller, the result stream's
 * producer and the argument streams' queues. The session routes envelopes to it and asks it, by state,
 * whether each one makes sense: `credit` only for a streaming call, argument-stream envelopes only for
 * the arguments the call announced.
 */
export class IncomingCall {
  state: IncomingState
  /** Only for handlers that take a context: nobody else could observe the signal. */
  controller: AbortController | undefined
  producer: Producer | undefined
  argQueues: Array<StreamQueue<unknown> | undefined> | undefined
  /** Bytes charged to the ledger while queued. */
  queuedBytes = 0
  readonly id: number
  readonly path: string

  constructor(
    /** The call as it came; dropped once the handler runs, so a long stream does not keep its arguments. */
    public env: CallEnvelope | undefined,
    queued: boolean,
  ) {
    this.id = env!.id
    this.path = env!.p
    this.state = queued ? 'queued' : 'running'
  }

  /** The queue of argument stream `s`, or undefined when the call has no such stream. */
  argument(s: number): StreamQueue<unknown> | undefined {
    return this.state === 'done' ? undefined : this.argQueues?.[s]
  }

  /** The result stream's producer, when the call is streaming; credit for anything else makes no sense. */
  streamProducer(): Producer | undefined {
    return this.state === 'streaming' ? this.producer : undefined
  }

  /** Stops everything the call runs: its handler's signal (with `reason`), its stream, its argument streams. */
  stop(reason: unknown, argError?: unknown): void {
    this.state = 'done'
    this.controller?.abort(reason)
    this.producer?.cancel()
    if (this.argQueues)
      for (const q of this.argQueues) {
        if (!q || q.finished) continue
        if (argError !== undefined) q.fail(argError)
        else void q.return()
      }
  }
}
