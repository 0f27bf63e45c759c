import type { BlobInbox } from './blobs.js'
import { blobKey } from './blobs.js'
import { SCALAR_BOUND } from './chunker.js'
import type { Codec } from './codec.js'
import { Deadlines } from './deadlines.js'
import { callFailed, type fromWireError, RpcError } from './errors.js'
import type { Ledger } from './ledger.js'
import { DEFAULT_STREAM_WINDOW, MAX_STREAM_ARGS } from './limits.js'
import { abortError, OutgoingCall } from './outgoingCall.js'
import { Producer, type ProducerSink } from './producer.js'
import type {
  CallEnvelope,
  CancelEnvelope,
  CreditEnvelope,
  EndEnvelope,
  Envelope,
  ErrEnvelope,
  NextEnvelope,
  OkEnvelope,
} from './protocol.js'
import type { Reassembler } from './reassembler.js'
import { type CallResult, RemoteCall } from './remoteCall.js'
import type { CallOptions, Decoded, SessionOptions } from './sessionRouter.js'
import type { StreamQueue, StreamQueueHooks } from './streamQueue.js'
import type { StringInbox } from './stringParts.js'
import { asStreamArg, cannotSendArguments } from './values.js'

/** What the outgoing side uses of the session that routes envelopes to it. */
export interface CallerRouter extends ProducerSink {
  readonly o: SessionOptions
  readonly ledger: Ledger
  readonly blobInbox: BlobInbox
  readonly reassembler: Reassembler
  readonly strings: StringInbox
  /** Why the session closed, once it did. */
  readonly closedError: RpcError | null
  decode(json: unknown, meta: unknown, what: string, part: string, owner?: Envelope): Decoded
  heldSize(env: Envelope & { r?: unknown; x?: unknown }): number
  fromWire(e: Parameters<typeof fromWireError>[0]): RpcError
  track(p: Promise<void>): void
}

const NO_HOOKS: StreamQueueHooks = { grant() {}, cancel() {} }

/** A call that failed before it was sent: it has no stream to report on. */
function failedCall(path: string, window: number, error: RpcError): CallResult {
  const call = new RemoteCall(path, window, NO_HOOKS)
  call.settleError(error)
  return call.result
}

/**
 * The calls this end made: sends them (arguments encoded, stream arguments produced under the handler's
 * credit), routes their replies (`ok`, `err`, `next`, `end`) and the credit and cancels for their argument
 * streams to them, and fails them all when the session closes. Each call's states live in
 * {@link OutgoingCall}; this is the table of them.
 */
export class OutgoingCalls {
  #seq = 0
  /** Calls until they settle. */
  readonly #calls = new Map<number, OutgoingCall>()
  /** Result streams with their path, until read out: on a local close their unread items are dropped. */
  readonly #readers = new Map<StreamQueue<unknown>, string>()
  readonly #r: CallerRouter

  constructor(router: CallerRouter) {
    this.#r = router
  }

  get size(): number {
    return this.#calls.size
  }

  get(id: number): OutgoingCall | undefined {
    return this.#calls.get(id)
  }

  has(id: number): boolean {
    return this.#calls.has(id)
  }

  /** Sends a call to `path`; the returned call settles with its reply, an error, or the session's close. */
  call(path: string, args: unknown[], opts: CallOptions = {}): CallResult {
    const r = this.#r
    const o = r.o
    const window = opts.window ?? o.streamWindow
    const refused = this.#refusal(path, opts)
    if (refused) return failedCall(path, window, refused)

    let streams: Array<[number, AsyncIterable<unknown>]> | undefined
    // Copied only when a stream argument is replaced by null: most calls send their arguments as given.
    let sendArgs = args
    // While every argument is a number, boolean, null or string, their JSON's size as an object transport
    // measures it (jsonSizeBound with unit 1: a scalar's bound, each string unit once, the quotes, brackets
    // and commas), so that the outbox need not walk the envelope to know it fits; -1 once an argument is
    // anything else. A text transport measures the text it makes instead.
    let bound = 2 + args.length
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      if (typeof a === 'string') {
        if (bound >= 0) bound += a.length + 2
        continue
      }
      if (typeof a === 'number' || typeof a === 'boolean' || a === null) {
        if (bound >= 0) bound += SCALAR_BOUND
        continue
      }
      bound = -1
      const s = asStreamArg(a)
      if (!s) continue
      streams ??= []
      if (streams.length >= MAX_STREAM_ARGS)
        return failedCall(
          path,
          window,
          new RpcError('BAD_REQUEST', `Call to "${path}" has more than ${MAX_STREAM_ARGS} stream arguments`),
        )
      streams.push([i, s])
      if (sendArgs === args) sendArgs = args.slice()
      sendArgs[i] = null
    }
    let encoded: ReturnType<Codec['encode']>
    try {
      encoded = o.codec.encode(sendArgs)
    } catch (e) {
      return failedCall(
        path,
        window,
        new RpcError('BAD_REQUEST', cannotSendArguments(path, o.peer, e), { cause: e }),
      )
    }
    const id = ++this.#seq
    const env: CallEnvelope = { t: 'call', id, p: path, a: encoded.json }
    if (encoded.meta !== undefined) env.x = encoded.meta
    if (streams) env.st = streams.map(([i]) => i)
    if (window !== DEFAULT_STREAM_WINDOW) env.w = window

    const oc = new OutgoingCall(
      id,
      path,
      window,
      r.ledger,
      o.peer,
      opts.timeout ?? o.timeout,
      opts.signal,
      this.#hooks,
    )
    this.#calls.set(id, oc)
    // Its key, blobKey('call', id), is made only if it goes in pieces. A lone call (one at a time, as
    // most are) goes out at once; calls made together in one tick are batched into one message.
    let sent: Promise<void> | undefined
    if (encoded.blobs) {
      env.b = encoded.blobs.map((b) => b.byteLength)
      sent = r.outbox.sendWithBlobs(env, encoded.blobs)
    } else {
      // The arguments went out as given (plain JSON): the envelope is theirs plus its head, at most 96
      // units and the path (`{"t":"call","id":…,"p":"…","w":…,"a":…}`).
      const size =
        bound >= 0 && encoded.json === sendArgs && encoded.meta === undefined
          ? bound + 96 + path.length
          : undefined
      sent = r.outbox.send(env, undefined, this.#calls.size === 1, size)
    }
    // It went out in pieces: its end must stop those still unsent.
    if (sent) oc.pieces = true
    if (streams) {
      oc.args = []
      for (const [i, source] of streams) {
        const p = new Producer(0, id, i, `argument ${i} of "${path}"`)
        oc.args[i] = p
        r.track((sent ?? Promise.resolve()).then(() => p.run(source, r)))
      }
    }
    return oc.call.result
  }

  /** Why a call cannot be sent at all (the session closed, too many waiting, already aborted). */
  #refusal(path: string, opts: CallOptions): RpcError | undefined {
    const r = this.#r
    if (r.closedError) return callFailed(path, r.closedError)
    if (this.#calls.size >= r.o.maxPendingCalls)
      return new RpcError(
        'LIMIT_EXCEEDED',
        `Call to "${path}" refused: ${this.#calls.size} calls to ${r.o.peer} are already waiting ` +
          `(maxPendingCalls ${r.o.maxPendingCalls}); wait for some to finish or raise maxPendingCalls`,
      )
    if (opts.signal?.aborted) return abortError(path, opts.signal)
    return undefined
  }

  readonly #hooks = {
    deadlines: new Deadlines(),
    ended: (oc: OutgoingCall) => {
      const r = this.#r
      const id = oc.id
      if (this.#calls.get(id) === oc) this.#calls.delete(id)
      if (oc.args)
        for (const [s, p] of oc.args.entries()) {
          p?.cancel()
          if (p) r.outbox.cancel(blobKey('next', id, s))
        }
      // A call that went out whole and was answered whole holds nothing anywhere: skip the look.
      if (!oc.pieces) return
      // What is still moving for this call is of no use any more, in either direction.
      r.outbox.cancel(blobKey('call', id, undefined))
      for (const of of ['ok', 'next', 'err']) {
        r.blobInbox.drop(blobKey(of, id, undefined))
        r.reassembler.dropOwner(blobKey(of, id, undefined))
        r.strings.dropOwner(blobKey(of, id, undefined))
      }
    },
    cancel: (oc: OutgoingCall, why: string) => {
      this.#r.outbox.send({ t: 'cancel', id: oc.id, why })
    },
    credit: (oc: OutgoingCall, n: number) => {
      this.#r.outbox.send({ t: 'credit', id: oc.id, n })
    },
  }

  // ---- replies --------------------------------------------------------------------------------

  /** The unary result of a call. */
  ok(env: OkEnvelope): void {
    const oc = this.#calls.get(env.id)
    if (!oc) return // late reply after a timeout or abort
    // Plain JSON (no codec metadata) is the value itself: no decoding, no result object.
    let value: unknown = env.r
    if (env.x !== undefined) {
      const v = this.#r.decode(env.r, env.x, oc.path, 'result', env)
      if ('error' in v) {
        oc.fail(v.error)
        return
      }
      value = v.value
    }
    if (!oc.ok(value))
      oc.violation(`${this.#r.o.peer} sent a single result ("ok") for a call whose reply is a stream`)
  }

  /** The peer says a call failed (before or during its stream). */
  err(env: ErrEnvelope): void {
    this.#calls.get(env.id)?.fail(this.#r.fromWire(env.e))
  }

  /** An item of a call's result stream. */
  next(env: NextEnvelope): void {
    const oc = this.#calls.get(env.id)
    if (!oc) return
    const q = oc.next()
    this.#trackReader(q, oc.path)
    const v = this.#r.decode(env.r, env.x, oc.path, 'stream item', env)
    if ('error' in v) {
      oc.end()
      this.#r.outbox.send({ t: 'cancel', id: env.id, why: 'bad item' })
      q.fail(v.error)
    } else q.push(v.value, () => this.#r.heldSize(env))
  }

  /** The end of a call's result stream. */
  end(env: EndEnvelope): void {
    const oc = this.#calls.get(env.id)
    if (!oc) return
    this.#trackReader(oc.call.streamQueue(), oc.path)
    oc.streamEnd()
  }

  /** Credit for argument stream `env.s` of a call. */
  credit(env: CreditEnvelope & { s: number }): void {
    const oc = this.#calls.get(env.id)
    const p = oc?.args?.[env.s]
    if (p) p.add(env.n)
    else oc?.violation(`${this.#r.o.peer} sent credit for argument ${env.s}, which is not a stream`)
  }

  /** The handler stopped reading argument stream `env.s`. */
  cancel(env: CancelEnvelope & { s: number }): void {
    this.#calls.get(env.id)?.args?.[env.s]?.cancel()
    this.#r.outbox.cancel(blobKey('next', env.id, env.s))
  }

  /** Remembers a result stream until it is read out, so that a local close can drop what it holds. */
  #trackReader(q: StreamQueue<unknown>, path: string): void {
    if (this.#readers.has(q)) return
    if (this.#readers.size >= 2 * this.#calls.size + 64)
      for (const r of this.#readers.keys()) if (r.idle) this.#readers.delete(r)
    this.#readers.set(q, path)
  }

  // ---- closing --------------------------------------------------------------------------------

  /** Asks the peer to stop working on every call still waiting (this end is closing). */
  cancelAll(): void {
    for (const id of this.#calls.keys()) this.#r.outbox.send({ t: 'cancel', id, why: 'closed' })
  }

  /** Fails every call with `error`; `discard`: unread items of result streams are dropped too. */
  failAll(error: RpcError, discard: boolean): void {
    for (const oc of [...this.#calls.values()]) oc.fail(callFailed(oc.path, error))
    this.#hooks.deadlines.stop()
    if (discard) for (const [q, path] of this.#readers) q.discard(callFailed(path, error))
    this.#readers.clear()
  }
}
