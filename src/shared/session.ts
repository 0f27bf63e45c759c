import { BlobInbox, type BlobOwner, blobKey } from './blobs.js'
import type { Codec } from './codec.js'
import { fromWireError, RpcError, toWireError } from './errors.js'
import type { HandlerEntry } from './handlers.js'
import {
  DEFAULT_MAX_CONCURRENT_CALLS,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_QUEUED_CALLS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_STREAM_WINDOW,
  MAX_BATCH,
  MAX_STREAM_ARGS,
} from './limits.js'
import { Outbox } from './outbox.js'
import { Producer } from './producer.js'
import {
  type BinEnvelope,
  type CallEnvelope,
  type ChunkEnvelope,
  type Envelope,
  type HelloEnvelope,
  type NextEnvelope,
  type OkEnvelope,
  PROTOCOL_VERSION,
  ProtocolViolation,
  parseEnvelope,
} from './protocol.js'
import { Reassembler } from './reassembler.js'
import { RemoteCall } from './remoteCall.js'
import { StreamQueue } from './streamQueue.js'
import type { CloseInfo, Transport, TransportSink } from './transport.js'
import { asStreamArg, cannotSendArguments, deeperThan, isAsyncIterable, isThenable } from './values.js'

/** Per-call options, as given to `client.with(...)`. */
export interface CallOptions {
  /** Aborts the call (and its stream): it rejects with code `ABORTED` and the remote handler's signal fires. */
  signal?: AbortSignal
  /** Ms to wait for the reply (for a stream, its first item). `0` or `Infinity`: no limit. */
  timeout?: number
  /** Stream window for this call's result stream, in items. */
  window?: number
}

/** What every handler's context has; faces add more (the caller, a typed peer). */
export interface BaseContext {
  /** Fires when the caller aborts, times out, stops reading the stream, or the connection closes. */
  signal: AbortSignal
  /** The dotted method path that was called. */
  path: string
}

export interface SessionOptions {
  role: 'client' | 'host'
  /** How messages name the other end, e.g. `host "com.acme.app"`. */
  peer: string
  /** How messages name this end. */
  self: string
  handlers: Map<string, HandlerEntry> | undefined
  codec: Codec
  timeout: number
  streamWindow: number
  maxPendingCalls: number
  /** Handlers running at once; calls beyond wait in a queue. */
  maxConcurrentCalls?: number
  /** Calls waiting for a handler slot; beyond, they are refused with `LIMIT_EXCEEDED`. */
  maxQueuedCalls?: number
  /** Result streams this side produces at once; beyond, the call fails with `LIMIT_EXCEEDED`. */
  maxStreams?: number
  /** Deepest nesting accepted in a call's arguments. */
  maxDepth?: number
  maxReassembledBytes: number
  exposeStack: boolean
  impl: string
  byteLength: (s: string) => number
  log: (line: string) => void
  context: (base: BaseContext) => unknown
  onEvent?: (name: string, value: unknown) => void
  onHello?: (hello: HelloEnvelope) => void
  onClose?: (error: RpcError) => void
  /** Called after a call was answered with the `refuseCalls` error. */
  onRefused?: () => void
}

interface OutCall {
  call: RemoteCall
  path: string
  timer: ReturnType<typeof setTimeout> | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  args: Producer[] | undefined
}

interface InCall {
  /** Only for handlers that take a context: nobody else could observe the signal. */
  controller: AbortController | undefined
  producer: Producer | undefined
  argQueues: Array<StreamQueue<unknown> | undefined> | undefined
}

/**
 * The session engine both ends run: ids, pending calls, timeouts, cancellation, stream credit, chunk
 * reassembly and error transport, over any {@link Transport}. The client and the host are thin faces on it.
 */
export class Session implements TransportSink {
  private seq = 0
  private readonly pending = new Map<number, OutCall>()
  private readonly incoming = new Map<number, InCall>()
  private readonly outbox: Outbox
  private readonly reassembler: Reassembler
  private readonly blobInbox: BlobInbox
  /** Binary parts of envelopes that announced them, once they have all arrived. */
  private readonly blobsOf = new WeakMap<Envelope, Uint8Array[]>()
  private readonly running = new Set<Promise<void>>()
  private closedError: RpcError | null = null
  private versionError: RpcError | null = null
  private refusing: { reason: string; code: string } | null = null
  /** Calls waiting for a handler slot (maxConcurrentCalls), in arrival order. */
  private readonly queued = new Map<number, CallEnvelope>()
  private draining = false
  private producing = 0
  /** The other end's hello, once it came. */
  remoteHello: HelloEnvelope | null = null

  constructor(
    private readonly transport: Transport,
    private readonly o: SessionOptions,
  ) {
    this.outbox = new Outbox(transport, o.byteLength)
    this.reassembler = new Reassembler(o.maxReassembledBytes)
    this.blobInbox = new BlobInbox(o.maxReassembledBytes)
  }

  /** Starts receiving; a client also says hello. */
  start(): void {
    this.transport.start(this)
    if (this.o.role === 'client') this.outbox.send({ t: 'hello', v: PROTOCOL_VERSION, impl: this.o.impl })
  }

  get isClosed(): boolean {
    return this.closedError !== null
  }

  /** Calls waiting for a reply or streaming, and calls being handled here. */
  get load(): { pending: number; incoming: number; reassemblyBytes: number } {
    return {
      pending: this.pending.size,
      incoming: this.incoming.size + this.queued.size,
      reassemblyBytes: this.reassembler.pendingBytes + this.blobInbox.pendingBytes,
    }
  }

  // ---- calling out ----------------------------------------------------------------------------

  call(path: string, args: unknown[], opts: CallOptions = {}): RemoteCall {
    const id = ++this.seq
    const window = opts.window ?? this.o.streamWindow
    const call: RemoteCall = new RemoteCall(path, window, {
      grant: (n) => {
        this.outbox.send({ t: 'credit', id, n })
      },
      cancel: (why) => {
        if (this.finishOut(id)) this.outbox.send({ t: 'cancel', id, why })
      },
    })
    if (this.closedError) {
      call.settleError(this.callError(this.closedError, path))
      return call
    }
    if (this.pending.size >= this.o.maxPendingCalls) {
      call.settleError(
        new RpcError(
          'LIMIT_EXCEEDED',
          `Call to "${path}" refused: ${this.pending.size} calls to ${this.o.peer} are already waiting ` +
            `(maxPendingCalls ${this.o.maxPendingCalls}); wait for some to finish or raise maxPendingCalls`,
        ),
      )
      return call
    }
    if (opts.signal?.aborted) {
      call.settleError(this.abortError(path, opts.signal))
      return call
    }

    let streams: Array<[number, AsyncIterable<unknown>]> | undefined
    const sendArgs = args.slice()
    for (let i = 0; i < args.length; i++) {
      const s = asStreamArg(args[i])
      if (!s) continue
      streams ??= []
      if (streams.length >= MAX_STREAM_ARGS) {
        call.settleError(
          new RpcError('BAD_REQUEST', `Call to "${path}" has more than ${MAX_STREAM_ARGS} stream arguments`),
        )
        return call
      }
      streams.push([i, s])
      sendArgs[i] = null
    }
    let encoded: ReturnType<Codec['encode']>
    try {
      encoded = this.o.codec.encode(sendArgs)
    } catch (e) {
      call.settleError(
        new RpcError('BAD_REQUEST', cannotSendArguments(path, this.o.peer, e), {
          cause: e,
        }),
      )
      return call
    }
    const env: CallEnvelope = { t: 'call', id, p: path, a: encoded.json }
    if (encoded.meta !== undefined) env.x = encoded.meta
    if (streams) env.st = streams.map(([i]) => i)
    if (window !== DEFAULT_STREAM_WINDOW) env.w = window

    const rec: OutCall = {
      call,
      path,
      timer: undefined,
      signal: opts.signal,
      onAbort: undefined,
      args: undefined,
    }
    const timeout = opts.timeout ?? this.o.timeout
    if (timeout > 0 && Number.isFinite(timeout)) {
      rec.timer = setTimeout(() => this.timeoutOut(id, timeout), timeout)
      ;(rec.timer as { unref?: () => void }).unref?.()
    }
    if (opts.signal) {
      const signal = opts.signal
      rec.onAbort = () => {
        if (!this.finishOut(id)) return
        this.outbox.send({ t: 'cancel', id, why: 'abort' })
        call.settleError(this.abortError(path, signal))
      }
      signal.addEventListener('abort', rec.onAbort, { once: true })
    }
    this.pending.set(id, rec)
    let sent: Promise<void> | undefined
    if (encoded.blobs) {
      env.b = encoded.blobs.map((b) => b.byteLength)
      sent = this.outbox.sendWithBlobs(env, encoded.blobs, blobKey('call', id, undefined))
    } else sent = this.outbox.send(env)
    if (streams) {
      rec.args = []
      for (const [i, source] of streams) {
        const p = new Producer(0) // argument streams start without credit: the handler's side grants its window
        rec.args[i] = p
        this.track(
          (sent ?? Promise.resolve()).then(() =>
            this.produce(source, p, id, i, `argument ${i} of "${path}"`),
          ),
        )
      }
    }
    return call
  }

  /** Sends a fire-and-forget event. */
  emit(name: string, value: unknown): void {
    if (this.closedError) throw this.callError(this.closedError, `event "${name}"`)
    const { json, meta } = this.o.codec.encode(value, { inline: true })
    const env: Envelope = { t: 'event', name }
    if (json !== undefined) env.d = json
    if (meta !== undefined) env.x = meta
    this.outbox.send(env)
  }

  private timeoutOut(id: number, ms: number): void {
    const rec = this.pending.get(id)
    if (!rec || !this.finishOut(id)) return
    this.outbox.send({ t: 'cancel', id, why: 'timeout' })
    rec.call.settleError(
      new RpcError(
        'TIMEOUT',
        `Call to "${rec.path}" on ${this.o.peer} timed out after ${ms} ms; the handler may be stuck or slow: ` +
          `fix it, or raise the limit with .with({ timeout }) or the timeout option`,
      ),
    )
  }

  private abortError(path: string, signal: AbortSignal): RpcError {
    const reason = signal.reason
    const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason)
    return new RpcError('ABORTED', `Call to "${path}" was aborted${why ? `: ${why}` : ''}`, { cause: reason })
  }

  /** Removes an outgoing call from the pending map and frees its timer and listener. False if already gone. */
  private finishOut(id: number): boolean {
    const rec = this.pending.get(id)
    if (!rec) return false
    this.pending.delete(id)
    if (rec.timer) clearTimeout(rec.timer)
    if (rec.onAbort) rec.signal!.removeEventListener('abort', rec.onAbort)
    if (rec.args)
      for (const [s, p] of rec.args.entries()) {
        p?.cancel()
        if (p) this.outbox.cancel(blobKey('next', id, s))
      }
    // Binary parts still moving for this call are of no use any more, in either direction.
    this.outbox.cancel(blobKey('call', id, undefined))
    this.blobInbox.drop(blobKey('ok', id, undefined))
    this.blobInbox.drop(blobKey('next', id, undefined))
    return true
  }

  private firstReply(rec: OutCall): void {
    if (rec.timer) {
      clearTimeout(rec.timer)
      rec.timer = undefined
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  message(value: unknown): void {
    if (this.closedError) return
    if (!Array.isArray(value)) {
      this.receive(value)
      return
    }
    // A batch: envelopes the other side sent in one tick.
    if (value.length > MAX_BATCH) {
      this.invalid(`a batch of ${value.length} envelopes is over the limit of ${MAX_BATCH}`)
      return
    }
    for (const v of value) {
      if (this.closedError) return
      if (Array.isArray(v)) this.invalid('a batch contained another batch')
      else this.receive(v)
    }
  }

  private receive(value: unknown): void {
    let env: Envelope
    try {
      env = parseEnvelope(value)
    } catch (e) {
      this.violation(e, value)
      return
    }
    if ((env.t === 'call' || env.t === 'ok' || env.t === 'next') && env.b && !this.blobsOf.has(env)) {
      this.awaitBlobs(env, env.b)
      return
    }
    this.dispatch(env)
  }

  private dispatch(env: Envelope): void {
    switch (env.t) {
      case 'ok': {
        const rec = this.pending.get(env.id)
        if (!rec) return // late reply after a timeout or abort
        this.finishOut(env.id)
        const v = this.decode(env.r, env.x, rec.path, 'result', env)
        if (v instanceof DecodeFailure) rec.call.settleError(v.error)
        else rec.call.settleValue(v.value)
        return
      }
      case 'err': {
        if (env.s !== undefined) {
          this.incoming.get(env.id)?.argQueues?.[env.s]?.fail(this.fromWire(env.e))
          return
        }
        const rec = this.pending.get(env.id)
        if (!rec) return
        this.finishOut(env.id)
        rec.call.settleError(this.fromWire(env.e))
        return
      }
      case 'next': {
        if (env.s !== undefined) {
          const q = this.incoming.get(env.id)?.argQueues?.[env.s]
          if (!q) return
          const v = this.decode(env.r, env.x, `argument ${env.s}`, 'stream item', env)
          if (v instanceof DecodeFailure) q.fail(v.error)
          else q.push(v.value)
          return
        }
        const rec = this.pending.get(env.id)
        if (!rec) return
        this.firstReply(rec)
        const q = rec.call.streamQueue()
        const v = this.decode(env.r, env.x, rec.path, 'stream item', env)
        if (v instanceof DecodeFailure) {
          if (this.finishOut(env.id)) this.outbox.send({ t: 'cancel', id: env.id, why: 'bad item' })
          q.fail(v.error)
        } else q.push(v.value)
        return
      }
      case 'end': {
        if (env.s !== undefined) {
          this.incoming.get(env.id)?.argQueues?.[env.s]?.end()
          return
        }
        const rec = this.pending.get(env.id)
        if (!rec) return
        this.finishOut(env.id)
        rec.call.streamQueue().end()
        return
      }
      case 'credit':
        if (env.s !== undefined) this.pending.get(env.id)?.args?.[env.s]?.add(env.n)
        else this.incoming.get(env.id)?.producer?.add(env.n)
        return
      case 'cancel':
        if (env.s !== undefined) {
          this.pending.get(env.id)?.args?.[env.s]?.cancel()
          this.outbox.cancel(blobKey('next', env.id, env.s))
        } else this.cancelIn(env.id, env.why)
        return
      case 'call':
        this.handleCall(env)
        return
      case 'event':
        if (this.o.onEvent) {
          const v = this.decode(env.d, env.x, `event "${env.name}"`, 'payload')
          if (v instanceof DecodeFailure) this.o.log(v.error.message)
          else this.o.onEvent(env.name, v.value)
        }
        return
      case 'hello':
        this.handleHello(env)
        return
      case 'chunk':
        this.handleChunk(env)
        return
      case 'bin':
        this.handleBin(env)
        return
    }
  }

  invalid(problem: string): void {
    this.o.log(`nmrpc: ignored a message from ${this.o.peer}: ${problem}`)
  }

  closed(info: CloseInfo): void {
    this.closeWith(new RpcError(info.code ?? 'DISCONNECTED', info.message))
  }

  drain(): void {
    this.outbox.drained()
  }

  private handleHello(env: HelloEnvelope): void {
    this.remoteHello = env
    if (this.o.role === 'host') this.outbox.send({ t: 'hello', v: PROTOCOL_VERSION, impl: this.o.impl })
    if (env.v !== PROTOCOL_VERSION) {
      const [mine, theirs] = this.o.role === 'host' ? ['host', 'extension'] : ['extension', 'host']
      const error = new RpcError(
        'VERSION_MISMATCH',
        `the ${theirs} speaks nmrpc protocol ${env.v} (${env.impl ?? 'unknown implementation'}) and the ${mine} ` +
          `speaks protocol ${PROTOCOL_VERSION} (${this.o.impl}); install the same major version of nmrpc on both sides`,
      )
      this.o.log(`nmrpc: ${error.message}`)
      if (this.o.role === 'host') this.versionError = error
      else this.closeWith(error)
      return
    }
    this.o.onHello?.(env)
  }

  /** Holds an envelope until its binary parts have arrived; refuses it if they would exceed the limit. */
  private awaitBlobs(env: BlobOwner, sizes: number[]): void {
    if (env.t === 'ok' || (env.t === 'next' && env.s === undefined)) {
      const rec = this.pending.get(env.id)
      if (!rec) return // a late reply: its pieces will be ignored
      this.firstReply(rec)
    }
    if (this.blobInbox.start(env, sizes)) return
    const total = sizes.reduce((a, b) => a + b, 0)
    this.refuseOwner(
      env,
      'TOO_LARGE',
      `${this.o.peer} announced ${(total / 1048576).toFixed(1)} MiB of binary data, over the limit of ` +
        `${(this.o.maxReassembledBytes / 1048576).toFixed(1)} MiB still free for assembly (maxReassembledBytes); ` +
        'stream it in smaller pieces, or raise the limit',
    )
  }

  private handleBin(env: BinEnvelope): void {
    const r = this.blobInbox.add(env)
    if (r.kind === 'complete') {
      this.blobsOf.set(r.owner, r.blobs)
      this.dispatch(r.owner)
    } else if (r.kind === 'broken') {
      this.refuseOwner(r.owner, 'PROTOCOL_ERROR', `${this.o.peer} sent broken binary data: ${r.message}`)
    }
  }

  /** Fails the call or stream an envelope with binary parts belonged to, and tells the other side. */
  private refuseOwner(env: BlobOwner, code: string, message: string): void {
    this.o.log(`nmrpc: ${message}`)
    this.failMessageOf(env.t, env.id, (env as { s?: number }).s, code, message, 'binary refused')
  }

  /**
   * A message belonging to call `id` (kind `of`, stream `s`) was refused here. Fails just that call or
   * stream: answers the other side's call with an error, or fails our pending call or the argument stream
   * and cancels what the other side still sends for it.
   */
  private failMessageOf(
    of: unknown,
    id: number,
    s: number | undefined,
    code: string,
    message: string,
    why: string,
  ) {
    if (of === 'call') {
      this.outbox.send({ t: 'err', id, e: { name: 'RpcError', message, code } })
    } else if (s !== undefined) {
      const q = this.incoming.get(id)?.argQueues?.[s]
      q?.fail(new RpcError(code, message))
      if (q) this.outbox.send({ t: 'cancel', id, s, why })
    } else {
      const rec = this.pending.get(id)
      if (rec && this.finishOut(id)) {
        this.outbox.send({ t: 'cancel', id, why })
        rec.call.settleError(new RpcError(code, `Call to "${rec.path}" failed: ${message}`))
      }
    }
  }

  private handleChunk(env: ChunkEnvelope): void {
    const r = this.reassembler.add(env)
    if (r.kind === 'complete') {
      let inner: unknown
      try {
        inner = JSON.parse(r.text)
      } catch (e) {
        this.invalid(`a chunked message is not JSON (${e instanceof Error ? e.message : e})`)
        return
      }
      if ((inner as { t?: unknown } | null)?.t === 'chunk') {
        this.invalid('a chunked message contained another chunk')
        return
      }
      this.receive(inner)
      return
    }
    if (r.kind !== 'refused') return
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`
    const message =
      `a message from ${this.o.peer} grew past ${mib(r.size)} while being reassembled, over the limit of ` +
      `${mib(this.o.maxReassembledBytes)} (maxReassembledBytes); send less per call (stream it), or raise the limit`
    this.o.log(`nmrpc: ${message}`)
    if (env.id === undefined) return
    this.failMessageOf(env.of, env.id, env.s, 'TOO_LARGE', message, 'too large')
  }

  private violation(e: unknown, raw: unknown): void {
    const message = `${this.o.peer} sent an invalid message: ${e instanceof Error ? e.message : String(e)}`
    this.o.log(`nmrpc: ${message}`)
    if (!(e instanceof ProtocolViolation) || e.id === undefined) return
    const kind = (raw as { t?: unknown }).t
    if (kind === 'call') {
      this.outbox.send({ t: 'err', id: e.id, e: { name: 'RpcError', message, code: 'PROTOCOL_ERROR' } })
      return
    }
    const rec = this.pending.get(e.id)
    if (
      rec &&
      (kind === 'ok' || kind === 'err' || kind === 'next' || kind === 'end') &&
      this.finishOut(e.id)
    ) {
      this.outbox.send({ t: 'cancel', id: e.id, why: 'protocol error' })
      rec.call.settleError(new RpcError('PROTOCOL_ERROR', `Call to "${rec.path}" failed: ${message}`))
    }
  }

  // ---- handling calls -------------------------------------------------------------------------

  private handleCall(env: CallEnvelope): void {
    const id = env.id
    const reply = (code: string, message: string): void => {
      this.outbox.send({ t: 'err', id, e: { name: 'RpcError', message, code } })
    }
    if (this.versionError) {
      reply('VERSION_MISMATCH', this.versionError.message)
      return
    }
    if (this.refusing) {
      reply(this.refusing.code, `Call to "${env.p}" refused: ${this.refusing.reason}`)
      this.o.onRefused?.()
      return
    }
    if (this.incoming.has(id) || this.queued.has(id)) {
      this.o.log(
        `nmrpc: ${this.o.peer} reused call id ${id} while that call is still running; ignored the second`,
      )
      return
    }
    if (this.incoming.size >= (this.o.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS)) {
      const max = this.o.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS
      if (this.queued.size >= max) {
        reply(
          'LIMIT_EXCEEDED',
          `Call to "${env.p}" refused: ${this.o.self} is running ${this.incoming.size} calls and ${this.queued.size} ` +
            `more are waiting (maxQueuedCalls ${max}); send fewer at once`,
        )
        return
      }
      this.queued.set(id, env)
      return
    }
    this.startCall(env)
  }

  /** Starts queued calls while there are free handler slots. */
  private drainQueue(): void {
    if (this.draining || this.queued.size === 0) return
    this.draining = true
    try {
      const max = this.o.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS
      while (this.queued.size > 0 && this.incoming.size < max && !this.closedError) {
        const [id, env] = this.queued.entries().next().value!
        this.queued.delete(id)
        this.startCall(env)
      }
    } finally {
      this.draining = false
    }
  }

  private startCall(env: CallEnvelope): void {
    const id = env.id
    const reply = (code: string, message: string): void => {
      this.outbox.send({ t: 'err', id, e: { name: 'RpcError', message, code } })
    }
    const entry = this.o.handlers?.get(env.p)
    if (!entry) {
      const known = this.o.handlers ? [...this.o.handlers.keys()] : []
      const list = known.length === 0 ? 'it exposes no methods' : `it has: ${known.slice(0, 20).join(', ')}`
      reply('NOT_FOUND', `No method "${env.p}" on ${this.o.self}; ${list}`)
      return
    }
    const decoded = this.decode(env.a, env.x, env.p, 'arguments', env)
    if (decoded instanceof DecodeFailure) {
      reply('BAD_REQUEST', decoded.error.message)
      return
    }
    const args = decoded.value
    if (!Array.isArray(args)) {
      reply('BAD_REQUEST', `arguments of "${env.p}" must be a list`)
      return
    }
    const maxDepth = this.o.maxDepth ?? DEFAULT_MAX_DEPTH
    if (deeperThan(args, maxDepth + 1)) {
      reply(
        'BAD_REQUEST',
        `arguments of "${env.p}" nest deeper than ${maxDepth} levels (maxDepth); send flatter data or raise maxDepth`,
      )
      return
    }

    const rec: InCall = {
      controller: entry.contextual ? new AbortController() : undefined,
      producer: undefined,
      argQueues: undefined,
    }
    if (env.st) {
      rec.argQueues = []
      const window = this.o.streamWindow
      for (const s of env.st) {
        rec.argQueues[s] = new StreamQueue(
          window,
          {
            grant: (n) => {
              this.outbox.send({ t: 'credit', id, s, n })
            },
            cancel: (why) => {
              this.outbox.send({ t: 'cancel', id, s, why })
            },
          },
          `argument ${s} of "${env.p}"`,
        )
        args[s] = rec.argQueues[s]
        this.outbox.send({ t: 'credit', id, s, n: window })
      }
    }
    this.incoming.set(id, rec)
    let result: unknown
    try {
      result = entry.contextual
        ? entry.fn(this.o.context({ signal: rec.controller!.signal, path: env.p }), ...args)
        : entry.fn(...args)
    } catch (e) {
      this.replyError(id, rec, e)
      return
    }
    if (isThenable(result))
      result.then(
        (v) => this.replyValue(id, rec, v, env),
        (e) => this.replyError(id, rec, e),
      )
    else this.replyValue(id, rec, result, env)
  }

  private replyValue(id: number, rec: InCall, value: unknown, env: CallEnvelope): void {
    if (this.incoming.get(id) !== rec) return // cancelled meanwhile
    if (isAsyncIterable(value)) {
      const max = this.o.maxStreams ?? DEFAULT_MAX_STREAMS
      if (this.producing >= max) {
        const it = value[Symbol.asyncIterator]()
        void Promise.resolve(it.return?.()).catch(() => {})
        this.replyError(
          id,
          rec,
          new RpcError(
            'LIMIT_EXCEEDED',
            `"${env.p}" cannot start a stream: ${this.producing} streams are already running (maxStreams ${max}); ` +
              'finish or cancel some first',
          ),
        )
        return
      }
      const p = new Producer(env.w ?? DEFAULT_STREAM_WINDOW)
      rec.producer = p
      this.producing++
      this.track(
        this.produce(value, p, id, undefined, `stream "${env.p}"`).finally(() => {
          this.producing--
          this.finishIn(id, rec)
        }),
      )
      return
    }
    let encoded: ReturnType<Codec['encode']>
    try {
      encoded = this.o.codec.encode(value)
    } catch (e) {
      this.replyError(
        id,
        rec,
        new RpcError('HANDLER_ERROR', `the result of "${env.p}" cannot be sent: ${String(e)}`),
      )
      return
    }
    this.finishIn(id, rec)
    const ok: OkEnvelope = { t: 'ok', id }
    if (encoded.json !== undefined) ok.r = encoded.json
    if (encoded.meta !== undefined) ok.x = encoded.meta
    if (encoded.blobs) {
      ok.b = encoded.blobs.map((b) => b.byteLength)
      void this.outbox.sendWithBlobs(ok, encoded.blobs, blobKey('ok', id, undefined))
    } else this.outbox.send(ok)
  }

  private replyError(id: number, rec: InCall, e: unknown): void {
    if (this.incoming.get(id) !== rec) return
    this.finishIn(id, rec)
    this.outbox.send({ t: 'err', id, e: this.toWire(e) })
  }

  private finishIn(id: number, rec: InCall): void {
    if (this.incoming.get(id) === rec) this.incoming.delete(id)
    if (rec.argQueues) for (const s of rec.argQueues.keys()) this.blobInbox.drop(blobKey('next', id, s))
    if (rec.argQueues) for (const q of rec.argQueues) if (q && !q.finished) void q.return()
    this.drainQueue()
  }

  private cancelIn(id: number, why: string | undefined): void {
    this.blobInbox.drop(blobKey('call', id, undefined))
    this.outbox.cancel(blobKey('ok', id, undefined))
    this.outbox.cancel(blobKey('next', id, undefined))
    if (this.queued.delete(id)) return
    const rec = this.incoming.get(id)
    if (!rec) return
    this.incoming.delete(id)
    queueMicrotask(() => this.drainQueue())
    rec.controller?.abort(
      new RpcError('CANCELLED', `the caller cancelled the call (${why ?? 'no reason given'})`),
    )
    rec.producer?.cancel()
    if (rec.argQueues) for (const q of rec.argQueues) if (q && !q.finished) void q.return()
  }

  /**
   * Sends `source` as stream (`id`, `s`) under credit: never more items ahead than the consumer allowed,
   * never faster than the transport drains, stopped (and the source's `finally` run) when cancelled.
   */
  private async produce(
    source: AsyncIterable<unknown>,
    p: Producer,
    id: number,
    s: number | undefined,
    label: string,
  ): Promise<void> {
    if (p.cancelled || this.closedError) return
    const it = source[Symbol.asyncIterator]()
    let finished = false
    const withS = <E extends object>(env: E): E => (s === undefined ? env : { ...env, s })
    try {
      for (;;) {
        while (p.credit <= 0 && !p.cancelled) await p.wait()
        if (p.cancelled) break
        const r = await it.next()
        if (p.cancelled) break
        if (r.done) {
          finished = true
          this.outbox.send(withS({ t: 'end', id }) as Envelope)
          break
        }
        p.credit--
        const { json, meta, blobs } = this.o.codec.encode(r.value)
        const env = withS<NextEnvelope>({ t: 'next', id })
        if (json !== undefined) env.r = json
        if (meta !== undefined) env.x = meta
        let sent: Promise<void> | undefined
        if (blobs) {
          env.b = blobs.map((b) => b.byteLength)
          sent = this.outbox.sendWithBlobs(env, blobs, blobKey('next', id, s))
        } else sent = this.outbox.send(env)
        if (sent) await sent
        else if (!this.outbox.ready) await this.outbox.whenReady()
      }
    } catch (e) {
      finished = true
      if (!p.cancelled && !this.closedError)
        this.outbox.send(withS({ t: 'err', id, e: this.toWire(e) }) as Envelope)
    } finally {
      if (!finished) {
        try {
          await it.return?.()
        } catch (e) {
          this.o.log(`nmrpc: ${label} threw while stopping: ${e instanceof Error ? e.message : String(e)}`)
        }
      }
    }
  }

  private track(p: Promise<void>): void {
    const t = p.catch((e) => this.o.log(`nmrpc: stream failed: ${e instanceof Error ? e.stack : String(e)}`))
    this.running.add(t)
    void t.finally(() => this.running.delete(t))
  }

  /** Resolves when every stream this side produces has stopped (used for a graceful exit). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running])
  }

  /** New incoming calls are answered with an error (`CLOSED` by default) from now on; running ones go on. */
  refuseCalls(reason: string, code = 'CLOSED'): void {
    this.refusing = { reason, code }
  }

  // ---- closing --------------------------------------------------------------------------------

  /** Closes the session: every pending call rejects with `error`, every running handler's signal fires. */
  closeWith(error: RpcError): void {
    if (this.closedError) return
    this.closedError = error
    for (const [id, rec] of this.pending) {
      this.finishOut(id)
      rec.call.settleError(this.callError(error, rec.path))
    }
    for (const rec of this.incoming.values()) {
      rec.controller?.abort(error)
      rec.producer?.cancel()
      if (rec.argQueues) for (const q of rec.argQueues) q?.fail(error)
    }
    this.incoming.clear()
    this.queued.clear()
    this.reassembler.clear()
    this.blobInbox.clear()
    this.outbox.close()
    this.o.onClose?.(error)
  }

  /** Closes from this side: cancels the other side's streams, then the transport. */
  close(error: RpcError): void {
    if (this.closedError) return
    for (const id of this.pending.keys()) this.outbox.send({ t: 'cancel', id, why: 'closed' })
    this.outbox.flush()
    this.closeWith(error)
    this.transport.close()
  }

  private callError(error: RpcError, path: string): RpcError {
    return new RpcError(error.code, `Call to "${path}" failed: ${error.message}`, {
      cause: error,
      name: error.name,
    })
  }

  // ---- codec helpers --------------------------------------------------------------------------

  private decode(
    json: unknown,
    meta: unknown,
    what: string,
    part: string,
    owner?: Envelope,
  ): Decoded | DecodeFailure {
    if (meta === undefined) return { value: json }
    try {
      return { value: this.o.codec.decode(json, meta, owner && this.blobsOf.get(owner)) }
    } catch (e) {
      return new DecodeFailure(
        new RpcError(
          'PROTOCOL_ERROR',
          `the ${part} of "${what}" from ${this.o.peer} could not be decoded: ${e instanceof Error ? e.message : e}`,
        ),
      )
    }
  }

  private toWire(e: unknown) {
    return toWireError(e, {
      stack: this.o.exposeStack,
      encode: (v) => this.o.codec.encode(v, { inline: true }),
    })
  }

  private fromWire(e: Parameters<typeof fromWireError>[0]) {
    return fromWireError(e, (json, meta) => (meta === undefined ? json : this.o.codec.decode(json, meta)))
  }
}

interface Decoded {
  value: unknown
}

class DecodeFailure {
  constructor(readonly error: RpcError) {}
}
