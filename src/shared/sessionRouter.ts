import { BlobInbox, type BlobOwner, blobKey } from './blobs.js'
import type { Codec } from './codec.js'
import { callFailed, fromWireError, RpcError, toWireError } from './errors.js'
import type { HandlerEntry } from './handlers.js'
import type { IncomingCalls, IncomingFactory } from './incomingCalls.js'
import { formatBytes, type HeldBytes, jsonHeldSize, Ledger } from './ledger.js'
import { DEFAULT_MAX_HELD_BYTES, MAX_BATCH } from './limits.js'
import { lineBudget } from './lineBudget.js'
import { Outbox } from './outbox.js'
import { OutgoingCalls } from './outgoingCalls.js'
import {
  type BinEnvelope,
  type CallEnvelope,
  type ChunkEnvelope,
  type Envelope,
  FEATURES,
  type HelloEnvelope,
  type NextEnvelope,
  PROTOCOL_VERSION,
  ProtocolViolation,
  parseEnvelope,
} from './protocol.js'
import { Reassembler, type ReassemblyResult } from './reassembler.js'
import type { CallResult } from './remoteCall.js'
import { placeStrings, StringInbox } from './stringParts.js'
import type { CloseInfo, Transport, TransportSink } from './transport.js'

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
  /** Budget of bytes held on the peer's behalf, all kinds together (see {@link Ledger}). */
  maxHeldBytes?: number
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
  /**
   * Runs the calls the peer makes to this end. Without it every call is answered `NOT_FOUND`: a client
   * that has no handlers leaves that code out of its bundle.
   */
  incoming?: IncomingFactory
}

/**
 * The session engine both ends run: ids, pending calls, timeouts, cancellation, stream credit, chunk
 * reassembly and error transport, over any {@link Transport}. The client and the host are thin faces on it.
 */
export class SessionRouter implements TransportSink {
  /** Calls this end made, until they settle: the outgoing side. */
  readonly #out: OutgoingCalls
  /** Calls the peer made to this end; absent on a side without handlers (a call gets `NOT_FOUND`). */
  readonly #incoming: IncomingCalls | undefined
  /** @internal */ readonly ledger: Ledger
  /** @internal */ readonly outbox: Outbox
  /** @internal */ readonly reassembler: Reassembler
  /** @internal */ readonly strings: StringInbox
  /** @internal */ readonly blobInbox: BlobInbox
  /** Binary parts of envelopes that announced them, once they have all arrived. */
  readonly #blobParts = new WeakMap<Envelope, Uint8Array[]>()
  readonly #running = new Set<Promise<void>>()
  #closedError: RpcError | null = null
  /** The other end's hello, once it came. */
  remoteHello: HelloEnvelope | null = null

  /** @internal */ readonly o: SessionOptions
  readonly #lines: ReturnType<typeof lineBudget>

  constructor(
    private readonly transport: Transport,
    o: SessionOptions,
  ) {
    // Every line this session prints goes through one budget: most are about what the peer sent.
    this.#lines = lineBudget(o.log)
    this.o = { ...o, log: this.#lines.line }
    this.ledger = new Ledger(o.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES)
    this.outbox = new Outbox(transport, o.byteLength, () => this.#watchOutput())
    this.reassembler = new Reassembler(o.maxReassembledBytes, this.ledger)
    this.strings = new StringInbox(o.maxReassembledBytes, this.ledger)
    this.blobInbox = new BlobInbox(o.maxReassembledBytes, this.ledger)
    this.#out = new OutgoingCalls(this)
    this.#incoming = o.incoming?.(this)
  }

  /** Starts receiving; a client also says hello. */
  start(): void {
    this.transport.start(this)
    if (this.o.role === 'client')
      this.outbox.send({ t: 'hello', v: PROTOCOL_VERSION, impl: this.o.impl, f: [...FEATURES] })
  }

  get isClosed(): boolean {
    return this.#closedError !== null
  }

  /** Why the session closed, once it did. */
  get closedError(): RpcError | null {
    return this.#closedError
  }

  /** Calls waiting for a reply or streaming, and calls being handled here. */
  get load(): { pending: number; incoming: number; reassemblyBytes: number } {
    return {
      pending: this.#out.size,
      incoming: this.#incoming?.size ?? 0,
      reassemblyBytes:
        this.reassembler.pendingBytes + this.strings.pendingBytes + this.blobInbox.pendingBytes,
    }
  }

  /** The ledger's counters: bytes held on the peer's behalf now, by kind, and the budget. */
  get held(): HeldBytes {
    return this.ledger.snapshot()
  }

  // ---- calling out ----------------------------------------------------------------------------

  /** Sends a call to `path` (see {@link OutgoingCalls.call}). */
  call(path: string, args: unknown[], opts: CallOptions = {}): CallResult {
    return this.#out.call(path, args, opts)
  }

  /** Sends a fire-and-forget event. */
  emit(name: string, value: unknown): void {
    if (this.#closedError) throw callFailed(`event "${name}"`, this.#closedError)
    const { json, meta } = this.o.codec.encode(value, { inline: true })
    const env: Envelope = { t: 'event', name }
    if (json !== undefined) env.d = json
    if (meta !== undefined) env.x = meta
    this.outbox.send(env)
  }

  // ---- receiving ------------------------------------------------------------------------------

  message(value: unknown): void {
    if (this.#closedError) return
    if (!Array.isArray(value)) {
      this.#receive(value)
      return
    }
    // A batch: envelopes the other side sent in one tick.
    if (value.length > MAX_BATCH) {
      this.invalid(`a batch of ${value.length} envelopes is over the limit of ${MAX_BATCH}`)
      return
    }
    for (const v of value) {
      if (this.#closedError) return
      if (Array.isArray(v)) this.invalid('a batch contained another batch')
      else this.#receive(v)
    }
  }

  #receive(value: unknown): void {
    let env: Envelope
    try {
      env = parseEnvelope(value)
    } catch (e) {
      this.#violation(e, value)
      return
    }
    if (this.screen(env)) return
    // String parts go back in before anything else looks at the envelope.
    if ((env as { u?: unknown }).u !== undefined) {
      const problem = placeStrings(env, this.strings)
      if (problem !== undefined) {
        this.#violation(new ProtocolViolation(problem, (env as { id?: number }).id), env)
        return
      }
    }
    if ((env.t === 'call' || env.t === 'ok' || env.t === 'next') && env.b && !this.#blobParts.has(env)) {
      this.#awaitBlobs(env, env.b)
      return
    }
    this.#dispatch(env)
  }

  #dispatch(env: Envelope): void {
    switch (env.t) {
      case 'ok':
        this.#out.ok(env)
        return
      case 'err':
        if (env.s !== undefined) this.#incoming?.argument({ ...env, s: env.s })
        else this.#out.err(env)
        return
      case 'next':
        if (env.s !== undefined) this.#incoming?.argument(env as NextEnvelope & { s: number })
        else this.#out.next(env)
        return
      case 'end':
        if (env.s !== undefined) this.#incoming?.argument({ ...env, s: env.s })
        else this.#out.end(env)
        return
      case 'credit':
        if (env.s !== undefined) this.#out.credit({ ...env, s: env.s })
        else this.#incoming?.credit(env)
        return
      case 'cancel':
        if (env.s !== undefined) this.#out.cancel({ ...env, s: env.s })
        else this.#cancelIn(env.id, env.why)
        return
      case 'call':
        this.#handleCall(env)
        return
      case 'event':
        if (this.o.onEvent) {
          const v = this.decode(env.d, env.x, `event "${env.name}"`, 'payload')
          if ('error' in v) this.o.log(v.error.message)
          else this.o.onEvent(env.name, v.value)
        }
        return
      case 'hello':
        this.#handleHello(env)
        return
      case 'chunk':
        this.#handleChunk(env)
        return
      case 'str': {
        if (!this.#pieceFor(env.of, env.id, env.s)) return
        const r = this.strings.add(env)
        if (r.kind === 'refused') this.#refusedPiece(env, r, this.strings.open)
        return
      }
      case 'bin':
        this.#handleBin(env)
        return
    }
  }

  /** What an item waiting for its consumer holds: its JSON, codec metadata and binary parts. */
  /** @internal */
  heldSize(env: Envelope & { r?: unknown; x?: unknown }): number {
    let n = jsonHeldSize(env.r) + (env.x === undefined ? 0 : jsonHeldSize(env.x))
    for (const b of this.#blobParts.get(env) ?? []) n += b.byteLength
    return n
  }

  invalid(problem: string): void {
    this.o.log(`nmrpc: ignored a message from ${this.o.peer}: ${problem}`)
  }

  closed(info: CloseInfo): void {
    this.closeWith(new RpcError(info.code ?? 'DISCONNECTED', info.message))
  }

  drain(): void {
    this.#watchOutput()
    this.outbox.drained()
  }

  /**
   * Counts what the transport holds unsent (a peer that stopped reading) in the ledger; past the budget
   * the session closes, since those bytes belong to no single call.
   */
  #watchOutput(): void {
    const buffered = this.transport.buffered
    if (buffered === undefined || this.#closedError) return
    this.ledger.set('unsent', buffered)
    if (this.ledger.used > this.ledger.budget)
      this.#breach(
        `${formatBytes(buffered)} written to ${this.o.peer} is still unread (it stopped reading), and with ` +
          `what else is held that is over the budget of ${formatBytes(this.ledger.budget)} (maxHeldBytes)`,
      )
  }

  /** A budget breach that belongs to no call: one line on stderr, and the session closes. */
  #breach(message: string): void {
    if (this.#closedError) return
    this.o.log(`nmrpc: closing the connection to ${this.o.peer}: ${message}`)
    this.close(new RpcError('LIMIT_EXCEEDED', `the connection was closed: ${message}`))
  }

  #handleHello(env: HelloEnvelope): void {
    this.remoteHello = env
    this.outbox.stringParts = env.f?.includes('str') === true
    if (this.o.role === 'host')
      this.outbox.send({ t: 'hello', v: PROTOCOL_VERSION, impl: this.o.impl, f: [...FEATURES] })
    if (env.v !== PROTOCOL_VERSION) {
      const [mine, theirs] = this.o.role === 'host' ? ['host', 'extension'] : ['extension', 'host']
      const error = new RpcError(
        'VERSION_MISMATCH',
        `the ${theirs} speaks nmrpc protocol ${env.v} (${env.impl ?? 'unknown implementation'}) and the ${mine} ` +
          `speaks protocol ${PROTOCOL_VERSION} (${this.o.impl}); install the same major version of nmrpc on both sides`,
      )
      this.o.log(`nmrpc: ${error.message}`)
      this.versionMismatch(error)
      return
    }
    this.o.onHello?.(env)
  }

  /**
   * A piece (chunk, string or binary part) arrived for call `id`. False when it belongs to a reply of our
   * call or to an argument stream of a call here that already ended (or never was): it is dropped at
   * once, not held until a deadline or the budget frees it. Otherwise true, re-arming our call's
   * deadline. Pieces of a call coming in and of events name nothing known yet, and are taken.
   */
  #pieceFor(of: unknown, id: number | undefined, s: number | undefined): boolean {
    if (id === undefined || (of !== 'ok' && of !== 'next' && of !== 'err')) return true
    if (s !== undefined) return this.#incoming?.get(id)?.argument(s) !== undefined
    const call = this.#out.get(id)
    call?.piece()
    return call !== undefined
  }

  /** Holds an envelope until its binary parts have arrived; refuses it if they would exceed the limits. */
  #awaitBlobs(env: BlobOwner, sizes: number[]): void {
    // A late reply, or an item of an argument stream that ended here: its pieces will be dropped too.
    if (!this.#pieceFor(env.t, env.id, (env as { s?: number }).s)) return
    const why = this.blobInbox.start(env, sizes, jsonHeldSize(env))
    if (!why) return
    const total = sizes.reduce((a, b) => a + b, 0)
    const announced = `${this.o.peer} announced ${formatBytes(total)} of binary data`
    if (why === 'duplicate')
      this.#refuseOwner(env, 'PROTOCOL_ERROR', `${announced} for ${env.t} ${env.id}, which already had some`)
    else if (why === 'size')
      this.#refuseOwner(
        env,
        'TOO_LARGE',
        `${announced}, over the limit of ${formatBytes(this.o.maxReassembledBytes)} for one message ` +
          '(maxReassembledBytes); stream it in smaller pieces, or raise the limit',
      )
    else this.#refuseOwner(env, 'LIMIT_EXCEEDED', `${announced}; ${this.overBudget()}`)
  }

  /** @internal */
  overBudget(): string {
    const h = this.ledger.snapshot()
    return (
      `this end already holds ${formatBytes(h.total)} for it, of a budget of ${formatBytes(h.budget)} ` +
      `(maxHeldBytes; ${formatBytes(h.partial)} partial messages, ${formatBytes(h.binary)} binary parts, ` +
      `${formatBytes(h.queued)} queued calls, ${formatBytes(h.buffered)} unread stream items, ` +
      `${formatBytes(h.unsent)} unsent); send less at once, or raise maxHeldBytes`
    )
  }

  #handleBin(env: BinEnvelope): void {
    if (!this.#pieceFor(env.of, env.id, env.s)) return
    const r = this.blobInbox.add(env)
    if (r.kind === 'complete') {
      this.#blobParts.set(r.owner, r.blobs)
      this.#dispatch(r.owner)
    } else if (r.kind === 'broken') {
      this.#refuseOwner(r.owner, 'PROTOCOL_ERROR', `${this.o.peer} sent broken binary data: ${r.message}`)
    }
  }

  /** Fails the call or stream an envelope with binary parts belonged to, and tells the other side. */
  #refuseOwner(env: BlobOwner, code: string, message: string): void {
    this.o.log(`nmrpc: ${message}`)
    this.#failMessageOf(env.t, env.id, (env as { s?: number }).s, code, message, 'binary refused')
  }

  /**
   * A message belonging to call `id` (kind `of`, stream `s`) was refused here. Fails just that call or
   * stream: answers the other side's call with an error, or fails our pending call or the argument stream
   * and cancels what the other side still sends for it.
   */
  #failMessageOf(of: unknown, id: number, s: number | undefined, code: string, message: string, why: string) {
    if (of === 'call') {
      this.outbox.send({ t: 'err', id, e: { name: 'RpcError', message, code } })
    } else if (s !== undefined) {
      const q = this.#incoming?.get(id)?.argument(s)
      q?.fail(new RpcError(code, message))
      if (q) this.outbox.send({ t: 'cancel', id, s, why })
    } else {
      const oc = this.#out.get(id)
      if (oc?.live) {
        this.outbox.send({ t: 'cancel', id, why })
        oc.fail(new RpcError(code, `Call to "${oc.path}" failed: ${message}`))
      }
    }
  }

  #handleChunk(env: ChunkEnvelope): void {
    if (!this.#pieceFor(env.of, env.id, env.s)) return
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
      this.#receive(inner)
      return
    }
    if (r.kind === 'refused') this.#refusedPiece(env, r, this.reassembler.open)
  }

  /** A `chunk` or `str` piece was refused: fails the call it belongs to, or (budget) closes the session. */
  #refusedPiece(
    env: { of?: string; id?: number; s?: number },
    r: Extract<ReassemblyResult, { kind: 'refused' }>,
    open: number,
  ): void {
    let code = 'LIMIT_EXCEEDED'
    let message: string
    if (r.why === 'size') {
      code = 'TOO_LARGE'
      message =
        `a message from ${this.o.peer} grew past ${formatBytes(r.size)} while being reassembled, over the limit of ` +
        `${formatBytes(this.o.maxReassembledBytes)} (maxReassembledBytes); send less per call (stream it), or raise the limit`
    } else if (r.why === 'open')
      message =
        `${this.o.peer} has ${open} chunked messages or string parts partly sent at once, the most this end ` +
        'keeps open; send large messages one after another'
    else message = `a chunked message from ${this.o.peer} does not fit: ${this.overBudget()}`
    if (env.id === undefined) {
      if (r.why === 'size') this.o.log(`nmrpc: ${message}`)
      else this.#breach(message)
      return
    }
    this.o.log(`nmrpc: ${message}`)
    this.#failMessageOf(env.of, env.id, env.s, code, message, r.why === 'size' ? 'too large' : 'over budget')
  }

  #violation(e: unknown, raw: unknown): void {
    const message = `${this.o.peer} sent an invalid message: ${e instanceof Error ? e.message : String(e)}`
    this.o.log(`nmrpc: ${message}`)
    if (!(e instanceof ProtocolViolation) || e.id === undefined) return
    const kind = (raw as { t?: unknown }).t
    if (kind === 'call') {
      this.outbox.send({ t: 'err', id: e.id, e: { name: 'RpcError', message, code: 'PROTOCOL_ERROR' } })
      return
    }
    if (kind === 'ok' || kind === 'err' || kind === 'next' || kind === 'end')
      this.#out.get(e.id)?.violation(message)
  }

  // ---- handling calls -------------------------------------------------------------------------

  #handleCall(env: CallEnvelope): void {
    const id = env.id
    if (this.refused(env)) return
    if (this.#incoming) this.#incoming.call(env)
    else
      this.outbox.send({
        t: 'err',
        id,
        e: { name: 'RpcError', message: notFound(env.p, this.o), code: 'NOT_FOUND' },
      })
  }

  #cancelIn(id: number, why: string | undefined): void {
    this.blobInbox.drop(blobKey('call', id, undefined))
    this.reassembler.dropOwner(blobKey('call', id, undefined))
    this.strings.dropOwner(blobKey('call', id, undefined))
    this.outbox.cancel(blobKey('ok', id, undefined))
    this.outbox.cancel(blobKey('next', id, undefined))
    this.#incoming?.cancel(id, why)
  }

  /** @internal */
  track(p: Promise<void>): void {
    const t = p.catch((e) => this.o.log(`nmrpc: stream failed: ${e instanceof Error ? e.stack : String(e)}`))
    this.#running.add(t)
    void t.finally(() => this.#running.delete(t))
  }

  /** Resolves when every stream this side produces has stopped (used for a graceful exit). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }

  // ---- a host's gate (see Session) -------------------------------------------------------------

  /** True when `env` was answered or dropped before it is looked at. Here: nothing is. */
  protected screen(_env: Envelope): boolean {
    return false
  }

  /** True when the call `env` was answered with a refusal. Here: none is. */
  protected refused(_env: CallEnvelope): boolean {
    return false
  }

  /** The peer speaks another protocol version (the error says which): a client closes. */
  protected versionMismatch(error: RpcError): void {
    this.closeWith(error)
  }

  // ---- closing --------------------------------------------------------------------------------

  /**
   * Closes the session: every pending call rejects with `error`, every running handler's signal fires.
   * `discard`: unread items of result streams are dropped too (a local close: nobody wants them).
   */
  closeWith(error: RpcError, discard = false): void {
    if (this.#closedError) return
    this.#closedError = error
    this.#out.failAll(error, discard)
    this.#incoming?.stopAll(error)
    this.reassembler.clear()
    this.strings.clear()
    this.blobInbox.clear()
    this.ledger.clear()
    this.outbox.close()
    this.#lines.flush()
    this.o.onClose?.(error)
  }

  /**
   * Closes from this side: answers the calls the peer is still waiting for with `error` (its code, e.g.
   * `CLOSED`), cancels the peer's work for ours, flushes, then closes the transport.
   */
  close(error: RpcError): void {
    if (this.#closedError) return
    this.#incoming?.answerAll(error)
    this.#out.cancelAll()
    this.outbox.flush()
    this.closeWith(error, true)
    this.transport.close()
  }

  // ---- codec helpers --------------------------------------------------------------------------

  /** @internal */
  blobsOf(env: Envelope): Uint8Array[] | undefined {
    return this.#blobParts.get(env)
  }

  /** @internal */
  decode(json: unknown, meta: unknown, what: string, part: string, owner?: Envelope): Decoded {
    if (meta === undefined) return { value: json }
    try {
      return { value: this.o.codec.decode(json, meta, owner && this.#blobParts.get(owner)) }
    } catch (e) {
      return {
        error: new RpcError(
          'PROTOCOL_ERROR',
          `the ${part} of "${what}" from ${this.o.peer} could not be decoded: ${e instanceof Error ? e.message : e}`,
        ),
      }
    }
  }

  /** @internal */
  toWire(e: unknown) {
    return toWireError(e, {
      stack: this.o.exposeStack,
      encode: (v) => this.o.codec.encode(v, { inline: true }),
    })
  }

  /** @internal */
  fromWire(e: Parameters<typeof fromWireError>[0]): RpcError {
    return fromWireError(e, (json, meta) => (meta === undefined ? json : this.o.codec.decode(json, meta)))
  }
}

/** A decoded value, or why it could not be decoded. */
export type Decoded = { value: unknown } | { error: RpcError }

/** The `NOT_FOUND` message for `path`, listing what the side exposes (a side without handlers: nothing). */
export function notFound(path: string, o: Pick<SessionOptions, 'handlers' | 'self'>): string {
  const known = o.handlers ? [...o.handlers.keys()] : []
  const list = known.length === 0 ? 'it exposes no methods' : `it has: ${known.slice(0, 20).join(', ')}`
  return `No method "${path}" on ${o.self}; ${list}`
}
