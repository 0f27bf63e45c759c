import { blobKey } from './blobs.js'
import type { Codec } from './codec.js'
import type { toWireError } from './errors.js'
import type { Outbox } from './outbox.js'
import type { Envelope, NextEnvelope } from './protocol.js'

/**
 * Where a stream this end sends stands:
 * - `idle`: not started, or waiting for credit (the consumer has not asked for more);
 * - `sending`: pulling the next item from the source or writing it (never more than the credit allows);
 * - `ended`: the source finished or threw, and the peer was told (`end` or `err`);
 * - `cancelled`: the consumer, the call or the session stopped it; the source's `finally` runs.
 */
export type ProducerState = 'idle' | 'sending' | 'ended' | 'cancelled'

/** What a producer needs from the session it sends through. */
export interface ProducerSink {
  readonly outbox: Outbox
  readonly isClosed: boolean
  readonly o: { readonly codec: Codec; log(line: string): void }
  toWire(e: unknown): ReturnType<typeof toWireError>
}

/**
 * The sending end of a stream (a result stream of a call the peer made, or a stream argument of a call this
 * end made): sends its source's items under credit, never more ahead than the consumer allowed and never
 * faster than the transport drains, and stops (running the source's `finally`) when cancelled.
 */
export class Producer {
  state: ProducerState = 'idle'
  #wake: (() => void) | null = null

  constructor(
    /** Items the consumer allows ahead. Argument streams start at 0: the handler's side grants its window. */
    public credit: number,
    readonly id: number,
    /** The argument index for an argument stream; undefined for a result stream. */
    readonly s: number | undefined,
    /** How messages name the stream, e.g. `stream "files.list"`. */
    readonly label: string,
  ) {}

  get cancelled(): boolean {
    return this.state === 'cancelled'
  }

  /** The consumer granted `n` more items. */
  add(n: number): void {
    this.credit += n
    this.#wakeUp()
  }

  /** Stops the stream: no further item is pulled from the source. */
  cancel(): void {
    if (this.state === 'ended') return
    this.state = 'cancelled'
    this.#wakeUp()
  }

  /**
   * Sends `source` through `sink` until it ends or the stream is cancelled; resolves once the source has
   * stopped. A source that throws is answered with an `err` envelope for the stream.
   */
  async run(source: AsyncIterable<unknown>, sink: ProducerSink): Promise<void> {
    if (this.cancelled || sink.isClosed) return
    const it = source[Symbol.asyncIterator]()
    const key = blobKey('next', this.id, this.s)
    try {
      for (;;) {
        while (this.credit <= 0 && !this.cancelled)
          await new Promise<void>((resolve) => (this.#wake = resolve))
        if (this.cancelled) break
        this.state = 'sending'
        const r = await it.next()
        if (this.cancelled) break
        if (r.done) {
          this.state = 'ended'
          sink.outbox.send(this.#withS({ t: 'end', id: this.id }) as Envelope)
          break
        }
        this.credit--
        const { json, meta, blobs } = sink.o.codec.encode(r.value)
        const env = this.#withS<NextEnvelope>({ t: 'next', id: this.id })
        if (json !== undefined) env.r = json
        if (meta !== undefined) env.x = meta
        let sent: Promise<void> | undefined
        if (blobs) {
          env.b = blobs.map((b) => b.byteLength)
          sent = sink.outbox.sendWithBlobs(env, blobs, key)
        } else sent = sink.outbox.send(env, key)
        // A large item whose write filled the transport lets the producer make one more, which waits in the
        // transport's queue while the pipe takes this one (see Outbox.mayRunAhead); the one after waits.
        if (sent) await sent
        else if (!sink.outbox.ready && !sink.outbox.mayRunAhead) await sink.outbox.whenReady()
        if (this.state === 'sending') this.state = 'idle'
      }
    } catch (e) {
      const stopped = this.cancelled
      this.state = 'ended'
      if (!stopped && !sink.isClosed)
        sink.outbox.send(this.#withS({ t: 'err', id: this.id, e: sink.toWire(e) }) as Envelope)
    } finally {
      if (this.state !== 'ended') {
        try {
          await it.return?.()
        } catch (e) {
          sink.o.log(
            `nmrpc: ${this.label} threw while stopping: ${e instanceof Error ? e.message : String(e)}`,
          )
        }
      }
    }
  }

  #withS<E extends object>(env: E): E {
    return this.s === undefined ? env : { ...env, s: this.s }
  }

  #wakeUp(): void {
    const w = this.#wake
    this.#wake = null
    w?.()
  }
}
