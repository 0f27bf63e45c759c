import type { BlobInbox } from './blobs.js'
import { blobKey } from './blobs.js'
import type { Codec } from './codec.js'
import { RpcError } from './errors.js'
import { IncomingCall } from './incomingCall.js'
import { jsonHeldSize, type Ledger } from './ledger.js'
import {
  DEFAULT_MAX_CONCURRENT_CALLS,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_QUEUED_CALLS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_STREAM_WINDOW,
  ENVELOPE_COST,
} from './limits.js'
import type { Outbox } from './outbox.js'
import { Producer, type ProducerSink } from './producer.js'
import type { CallEnvelope, CreditEnvelope, Envelope, OkEnvelope } from './protocol.js'
import type { Reassembler } from './reassembler.js'
import { type Decoded, notFound, type SessionOptions } from './sessionRouter.js'
import { StreamQueue } from './streamQueue.js'
import { deeperThan, isAsyncIterable, isThenable } from './values.js'

/** What the incoming side uses of the session that routes envelopes to it. */
export interface CallRouter extends ProducerSink {
  readonly o: SessionOptions
  readonly outbox: Outbox
  readonly ledger: Ledger
  readonly blobInbox: BlobInbox
  readonly reassembler: Reassembler
  readonly isClosed: boolean
  blobsOf(env: Envelope): Uint8Array[] | undefined
  decode(json: unknown, meta: unknown, what: string, part: string, owner?: Envelope): Decoded
  toWire(e: unknown): ReturnType<typeof import('./errors.js').toWireError>
  overBudget(): string
  heldSize(env: Envelope & { r?: unknown; x?: unknown }): number
  fromWire(e: Parameters<typeof import('./errors.js').fromWireError>[0]): RpcError
  track(p: Promise<void>): void
}

/** Makes the incoming side of a session; a session without one answers every call `NOT_FOUND`. */
export type IncomingFactory = (router: CallRouter) => IncomingCalls

/**
 * The calls the peer made to this end: runs their handlers (at most `maxConcurrentCalls` at once, the
 * rest queued and charged to the ledger), answers them, produces result streams under the peer's credit,
 * feeds argument streams, and stops calls the peer cancels. Only a side that has handlers needs it: a
 * client without `handlers` never reaches this code.
 */
export class IncomingCalls {
  /**
   * Queued or running, until answered or cancelled. (Fields and methods here are TS-private, not `#`: in
   * V8's baseline code, where a host's first thousands of calls run, each `#` access or `#method()` call
   * is a keyed load through an IC; a dozen of them per call.)
   */
  private readonly calls = new Map<number, IncomingCall>()
  /** The queued ones among `calls`, in arrival order. */
  private readonly queue = new Map<number, IncomingCall>()
  private draining = false
  private producing = 0
  private readonly r: CallRouter

  constructor(router: CallRouter) {
    this.r = router
  }

  get size(): number {
    return this.calls.size
  }

  get(id: number): IncomingCall | undefined {
    return this.calls.get(id)
  }

  /** A call arrived (its binary parts, if any, with it): runs it now or queues it. */
  call(env: CallEnvelope): void {
    const r = this.r
    const o = r.o
    const id = env.id
    if (this.calls.has(id)) {
      o.log(`nmrpc: ${o.peer} reused call id ${id} while that call is still running; ignored the second`)
      return
    }
    const active = this.calls.size - this.queue.size
    if (active >= (o.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS)) {
      const max = o.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS
      if (this.queue.size >= max) {
        this.refuse(
          id,
          'LIMIT_EXCEEDED',
          `Call to "${env.p}" refused: ${o.self} is running ${active} calls and ${this.queue.size} ` +
            `more are waiting (maxQueuedCalls ${max}); send fewer at once`,
        )
        return
      }
      let bytes = jsonHeldSize(env) + ENVELOPE_COST
      for (const b of r.blobsOf(env) ?? []) bytes += b.byteLength
      if (!r.ledger.charge('queued', bytes)) {
        this.refuse(
          id,
          'LIMIT_EXCEEDED',
          `Call to "${env.p}" refused: it would wait for a handler slot, and ${r.overBudget()}`,
        )
        return
      }
      const ic = new IncomingCall(env, true)
      ic.queuedBytes = bytes
      this.calls.set(id, ic)
      this.queue.set(id, ic)
      return
    }
    const ic = new IncomingCall(env, false)
    this.calls.set(id, ic)
    this.start(ic)
  }

  /** An `err`, `next` or `end` for argument stream `s` of call `id`. */
  argument(env: Envelope & { id: number; s: number }): void {
    const ic = this.calls.get(env.id)
    if (!ic) return
    const q = ic.argument(env.s)
    if (env.t === 'err') {
      if (q) q.fail(this.r.fromWire(env.e))
      else this.wrongState(ic, `an error for argument stream ${env.s}, which the call does not have`)
    } else if (env.t === 'end') {
      if (q) q.end()
      else this.wrongState(ic, `the end of argument stream ${env.s}, which the call does not have`)
    } else if (env.t === 'next') {
      if (!q) {
        this.wrongState(ic, `an item for argument stream ${env.s}, which the call does not have`)
        return
      }
      const v = this.r.decode(env.r, env.x, `argument ${env.s}`, 'stream item', env)
      if ('error' in v) q.fail(v.error)
      else q.push(v.value, () => this.r.heldSize(env))
    }
  }

  /** Credit for the result stream of call `env.id`. */
  credit(env: CreditEnvelope): void {
    const ic = this.calls.get(env.id)
    const p = ic?.streamProducer()
    if (p) p.add(env.n)
    else if (ic) this.wrongState(ic, `credit for a call whose result is not a stream (it is ${ic.state})`)
  }

  /** The caller cancelled call `id`. */
  cancel(id: number, why: string | undefined): void {
    const ic = this.calls.get(id)
    if (!ic) return
    this.stop(ic, new RpcError('CANCELLED', `the caller cancelled the call (${why ?? 'no reason given'})`))
  }

  /** An envelope made no sense for call `ic` in its state: the call fails with PROTOCOL_ERROR. */
  wrongState(ic: IncomingCall, what: string): void {
    const r = this.r
    const message = `${r.o.peer} sent ${what} to call "${ic.path}" (id ${ic.id})`
    r.o.log(`nmrpc: ${message}`)
    this.stop(ic, new RpcError('PROTOCOL_ERROR', message))
    r.outbox.send({ t: 'err', id: ic.id, e: { name: 'RpcError', message, code: 'PROTOCOL_ERROR' } })
  }

  /** Ends call `ic` here without answering it (the caller answers, or the peer asked for it). */
  stop(ic: IncomingCall, reason: RpcError): void {
    if (this.calls.get(ic.id) === ic) this.calls.delete(ic.id)
    if (ic.state === 'queued') this.unqueue(ic)
    ic.stop(reason)
    this.r.outbox.cancel(blobKey('ok', ic.id, undefined))
    this.r.outbox.cancel(blobKey('next', ic.id, undefined))
    queueMicrotask(() => this.drainQueue())
  }

  /** Answers every call still waiting with `error`'s code (this end is closing). */
  answerAll(error: RpcError): void {
    for (const ic of this.calls.values())
      this.r.outbox.send({
        t: 'err',
        id: ic.id,
        e: {
          name: 'RpcError',
          code: error.code,
          message: `Call to "${ic.path}" was stopped: ${error.message}`,
        },
      })
  }

  /** The session closed: every handler's signal fires and every argument stream fails with `error`. */
  stopAll(error: RpcError): void {
    for (const ic of this.calls.values()) ic.stop(error, error)
    this.calls.clear()
    this.queue.clear()
  }

  /** Starts queued calls while there are free handler slots. */
  private drainQueue(): void {
    if (this.draining || this.queue.size === 0) return
    this.draining = true
    try {
      const max = this.r.o.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS
      while (this.queue.size > 0 && this.calls.size - this.queue.size < max && !this.r.isClosed) {
        const ic = this.queue.values().next().value!
        this.unqueue(ic)
        ic.state = 'running'
        this.start(ic)
      }
    } finally {
      this.draining = false
    }
  }

  private unqueue(ic: IncomingCall): void {
    this.queue.delete(ic.id)
    this.r.ledger.release('queued', ic.queuedBytes)
    ic.queuedBytes = 0
  }

  private start(ic: IncomingCall): void {
    const r = this.r
    const o = r.o
    const env = ic.env!
    ic.env = undefined
    const id = env.id
    const entry = o.handlers?.get(env.p)
    if (!entry) {
      this.fail(ic, 'NOT_FOUND', notFound(env.p, o))
      return
    }
    // Plain JSON (no codec metadata) is the value itself: no decoding, no result object.
    let args: unknown = env.a
    if (env.x !== undefined) {
      const decoded = r.decode(env.a, env.x, env.p, 'arguments', env)
      if ('error' in decoded) {
        this.fail(ic, 'BAD_REQUEST', decoded.error.message)
        return
      }
      args = decoded.value
    }
    if (!Array.isArray(args)) {
      this.fail(ic, 'BAD_REQUEST', `arguments of "${env.p}" must be a list`)
      return
    }
    const maxDepth = o.maxDepth ?? DEFAULT_MAX_DEPTH
    if (deeperThan(args, maxDepth + 1)) {
      this.fail(
        ic,
        'BAD_REQUEST',
        `arguments of "${env.p}" nest deeper than ${maxDepth} levels (maxDepth); send flatter data or raise maxDepth`,
      )
      return
    }

    ic.controller = entry.contextual ? new AbortController() : undefined
    if (env.st) {
      ic.argQueues = []
      const window = o.streamWindow
      for (const s of env.st) {
        ic.argQueues[s] = new StreamQueue(
          window,
          {
            grant: (n) => {
              r.outbox.send({ t: 'credit', id, s, n })
            },
            cancel: (why) => {
              r.outbox.send({ t: 'cancel', id, s, why })
            },
          },
          `argument ${s} of "${env.p}"`,
          r.ledger,
        )
        args[s] = ic.argQueues[s]
        r.outbox.send({ t: 'credit', id, s, n: window })
      }
    }
    const path = env.p
    const window = env.w
    let result: unknown
    try {
      result = entry.contextual
        ? entry.fn(o.context({ signal: ic.controller!.signal, path }), ...args)
        : entry.fn(...args)
    } catch (e) {
      this.replyError(ic, e)
      return
    }
    if (isThenable(result))
      result.then(
        (v) => this.replyValue(ic, v, path, window),
        (e) => this.replyError(ic, e),
      )
    else this.replyValue(ic, result, path, window)
  }

  private replyValue(ic: IncomingCall, value: unknown, path: string, window: number | undefined): void {
    if (ic.state !== 'running' || this.calls.get(ic.id) !== ic) return // cancelled meanwhile
    const r = this.r
    const id = ic.id
    if (isAsyncIterable(value)) {
      const max = r.o.maxStreams ?? DEFAULT_MAX_STREAMS
      if (this.producing >= max) {
        const it = value[Symbol.asyncIterator]()
        void Promise.resolve(it.return?.()).catch(() => {})
        this.replyError(
          ic,
          new RpcError(
            'LIMIT_EXCEEDED',
            `"${path}" cannot start a stream: ${this.producing} streams are already running (maxStreams ${max}); ` +
              'finish or cancel some first',
          ),
        )
        return
      }
      const p = new Producer(window ?? DEFAULT_STREAM_WINDOW, id, undefined, `stream "${path}"`)
      ic.producer = p
      ic.state = 'streaming'
      this.producing++
      r.track(
        p.run(value, r).finally(() => {
          this.producing--
          this.finish(ic)
        }),
      )
      return
    }
    let encoded: ReturnType<Codec['encode']>
    try {
      encoded = r.o.codec.encode(value)
    } catch (e) {
      this.replyError(
        ic,
        new RpcError('HANDLER_ERROR', `the result of "${path}" cannot be sent: ${String(e)}`),
      )
      return
    }
    this.finish(ic)
    const ok: OkEnvelope = { t: 'ok', id }
    if (encoded.json !== undefined) ok.r = encoded.json
    if (encoded.meta !== undefined) ok.x = encoded.meta
    if (encoded.blobs) {
      ok.b = encoded.blobs.map((b) => b.byteLength)
      void r.outbox.sendWithBlobs(ok, encoded.blobs, blobKey('ok', id, undefined))
    } else r.outbox.send(ok, 'own') // the key string only if the reply is cut into pieces
  }

  /** Answers call `id` with an error before it ever ran (refused, or a reused id). */
  private refuse(id: number, code: string, message: string): void {
    this.r.outbox.send({ t: 'err', id, e: { name: 'RpcError', message, code } })
  }

  /** Ends call `ic`, whose handler could not be started, with an error. */
  private fail(ic: IncomingCall, code: string, message: string): void {
    this.finish(ic)
    this.refuse(ic.id, code, message)
  }

  private replyError(ic: IncomingCall, e: unknown): void {
    if (ic.state === 'done' || this.calls.get(ic.id) !== ic) return
    this.finish(ic)
    this.r.outbox.send({ t: 'err', id: ic.id, e: this.r.toWire(e) })
  }

  private finish(ic: IncomingCall): void {
    const id = ic.id
    if (this.calls.get(id) === ic) this.calls.delete(id)
    ic.state = 'done'
    if (ic.argQueues)
      for (const [s, q] of ic.argQueues.entries()) {
        this.r.blobInbox.drop(blobKey('next', id, s))
        this.r.reassembler.dropOwner(blobKey('next', id, s))
        if (q && !q.finished) void q.return()
      }
    this.drainQueue()
  }
}

/**
 * The incoming side for sessions whose end has handlers.
 *
 * @example
 * new Session(transport, { ...options, incoming: incomingCalls })
 */
export const incomingCalls: IncomingFactory = (router) => new IncomingCalls(router)
