import { type Codec, superjsonCodec } from '../shared/codec.js'
import { callFailed, RpcError } from '../shared/errors.js'
import { flattenHandlers } from '../shared/handlers.js'
import { type IncomingFactory, incomingCalls } from '../shared/incomingCalls.js'
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TIMEOUT } from '../shared/limits.js'
import { type EndpointOptions, resolveLimits } from '../shared/options.js'
import type { HelloEnvelope } from '../shared/protocol.js'
import { createCallProxy } from '../shared/proxy.js'
import { type CallResult, RemoteCall } from '../shared/remoteCall.js'
import { type BaseContext, type CallOptions, SessionRouter } from '../shared/sessionRouter.js'
import { type TraceOption, traceTransport } from '../shared/trace.js'
import type { ApiOf, EventMap, EventsOf, Remote } from '../shared/types.js'
import { utf8Length } from '../shared/utf8.js'
import { IMPL } from '../shared/version.js'
import { type EventsOptions, eventIterator } from './events.js'
import { type ClientMiddleware, runClientMiddleware } from './middleware.js'
import { oneShotCall } from './oneShot.js'
import { connectNative, NoExtensionApiError, type PortFactory, type PortLike } from './port.js'
import { PortTransport } from './portTransport.js'

export interface ClientOptions extends EndpointOptions {
  /**
   * Largest message sent to the host in one piece; larger ones are chunked. Chromium allows 64 MiB, but
   * smaller pieces let other calls through in between. Counted in characters of the message's JSON, each
   * string unit once (the browser serialises it, so nmrpc does not): plain ASCII is exactly that many
   * bytes, non-ASCII text up to 3 bytes a character, escaped control characters 6. Values over 11,184,810
   * (a sixth of 64 MiB) count as that, so that no message can exceed what Chromium takes.
   * @default 1_048_576
   */
  maxMessageBytes?: number
  /** Handlers the host may call (through `host.peer()` or a handler's `ctx.peer`). */
  handlers?: object
  /**
   * Where diagnostic lines go: at most 1,000 at once and 100 a second after that (the rest are counted and
   * the count printed), since most are about what the peer sent.
   * @default console.warn
   */
  log?: (line: string) => void
  /**
   * `'port'`: one long-lived connection (`runtime.connectNative`); the host stays running while it is open.
   * `'oneshot'`: every call starts the host anew (`runtime.sendNativeMessage`); the host answers and exits.
   * One-shot suits hosts that should not stay resident; it has no streams, events or host-to-extension
   * calls, and a result must fit in one message (1 MiB). Hosts need no change for it.
   * @default 'port'
   */
  mode?: 'port' | 'oneshot'
  /**
   * Reconnect by itself after the host goes away, with exponential backoff, so that `on(...)` listeners
   * keep receiving events: for a service worker or background page that must stay connected. Off for
   * one-off use. It never reconnects after `close()`, nor when the browser says the host is not
   * registered, forbidden, or speaks another protocol. Calls never wait for it: a call made while
   * disconnected connects at once.
   * @default false
   */
  reconnect?: boolean | ReconnectOptions
  /**
   * One line per envelope in and out (kind, id, method, size, time since its call started, outcome):
   * `true` writes them to `log`, a function receives them. Off costs nothing (nothing is wrapped).
   * @default false
   */
  trace?: TraceOption
  /**
   * Middleware run around every outgoing call, first to last: `(ctx, next) => next()` with `ctx.path`,
   * `ctx.args` and `ctx.options` (set a default timeout there). See `ClientMiddleware`.
   * @default []
   */
  use?: readonly ClientMiddleware[]
}

export interface ReconnectOptions {
  /** @default 500 */
  initialDelay?: number
  /** @default 30_000 */
  maxDelay?: number
  /** @default 2 */
  factor?: number
  /** Attempts in a row without a successful hello before giving up. @default Infinity */
  maxAttempts?: number
}

/** The host's hello: which protocol and implementation it runs. */
export interface HostInfo {
  protocol: number
  impl: string
}

/**
 * - `idle`: no connection yet (the first call opens one);
 * - `connecting`: the Port is open, the host has not said hello yet;
 * - `open`: the host answered;
 * - `disconnected`: the host went away (see `lastError`); the next call reconnects;
 * - `closed`: `close()` was called; every call rejects.
 */
export type ClientState = 'idle' | 'connecting' | 'open' | 'disconnected' | 'closed'

/** A view of the client with per-call options applied; `with` chains. */
export interface ClientView<Api> {
  /** The host's methods: `call.ns.method(...args)`. */
  readonly call: Remote<Api>
  /** The same client with more per-call options (a signal, a timeout). */
  with(options: CallOptions): ClientView<Api>
}

export interface Client<Api, Events extends EventMap = EventMap> extends ClientView<Api> {
  readonly state: ClientState
  /** Why the last connection ended, if it did. */
  readonly lastError: RpcError | undefined
  /** Opens the connection now (calls do it lazily) and resolves with the host's hello. */
  connect(): Promise<HostInfo>
  /** Listens for an event the host emits; returns the function that stops listening. */
  on<K extends keyof Events & string>(name: K, listener: (data: Events[K]) => void): () => void
  /**
   * The host's events of one name as an async iterator: `for await (const e of client.events('tick'))`.
   * Buffers up to `buffer` unread events (then drops the oldest, or fails with `overflow: 'error'`);
   * `break` unsubscribes; `close()` ends the loop; a lost connection without `reconnect` throws.
   */
  events<K extends keyof Events & string>(name: K, options?: EventsOptions): AsyncIterableIterator<Events[K]>
  /** Listens for state changes; returns the function that stops listening. */
  onStateChange(listener: (state: ClientState, error?: RpcError) => void): () => void
  /** Sends an event to the host (its `onEvent` option receives it). Opens the connection if needed. */
  emit(name: string, data?: unknown): void
  /** Closes the connection for good: pending calls reject with `CLOSED`, host streams are cancelled. */
  close(): void
  /** `await using client = createClient(...)`: closes the client when the scope ends. */
  [Symbol.asyncDispose](): Promise<void>
  /** `using client = createClient(...)`: closes the client when the scope ends. */
  [Symbol.dispose](): void
}

type Listener = (data: unknown) => void

/** Node's native UTF-8 counter when the client runs in Node (found on globalThis, never imported). */
const nodeByteLength = (globalThis as { Buffer?: { byteLength(s: string): number } }).Buffer?.byteLength

/**
 * The pieces of a client that not every client needs, given by the entry point: `nmrpc/client` gives all
 * of them, `nmrpc/client/core` none, so that a bundler leaves out what a core client cannot reach.
 */
export interface ClientParts {
  /** The codec when the options name none; without it, `codec` is required. */
  codec?: () => Codec
  /** `mode: 'oneshot'`. */
  oneShot?: typeof oneShotCall
  /** The `trace` option. */
  trace?: typeof traceTransport
  /** The `handlers` option: reads the table, and runs the host's calls to it. */
  handlers?: { flatten: typeof flattenHandlers; incoming: IncomingFactory }
}

/** Where a piece a core client left out is: named in the error that a core client's option gives. */
const FULL = "use createClient from 'nmrpc/client', which has it"

export class NativeClient implements Client<unknown> {
  state: ClientState = 'idle'
  lastError: RpcError | undefined
  readonly call: Remote<unknown>
  #session: SessionRouter | null = null
  readonly #host: string
  readonly #codec: Codec
  readonly #handlers
  /** Not a # field: test/integration/clientConventions.test.ts checks that `break` leaves no listener here. */
  private readonly eventListeners = new Map<string, Set<Listener>>()
  readonly #stateListeners = new Set<(state: ClientState, error?: RpcError) => void>()
  #helloWaiters: Array<{ resolve: (h: HostInfo) => void; reject: (e: RpcError) => void }> = []
  #hello: HostInfo | null = null
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #reconnectAttempts = 0

  readonly #target: string | PortFactory
  readonly #options: ClientOptions
  readonly #parts: ClientParts

  constructor(target: string | PortFactory, options: ClientOptions, parts: ClientParts) {
    this.#target = target
    this.#options = options
    this.#parts = parts
    this.#host = typeof target === 'string' ? target : (target.hostName ?? 'native host')
    const codec = options.codec ?? parts.codec?.()
    if (!codec)
      throw new TypeError(
        `createClient from 'nmrpc/client/core' needs a codec (for "${this.#host}"): pass { codec: jsonCodec() } ` +
          `or { codec: superjsonCodec() }, or ${FULL} by default`,
      )
    this.#codec = codec
    if (options.mode === 'oneshot' && !parts.oneShot)
      throw new TypeError(
        `mode 'oneshot' is not in 'nmrpc/client/core': pass mode: oneShotMode() (from 'nmrpc/client/core'), or ${FULL}`,
      )
    if (options.trace && !parts.trace)
      throw new TypeError(`the trace option is not in 'nmrpc/client/core'; ${FULL}`)
    if (options.handlers && !parts.handlers)
      throw new TypeError(`the handlers option is not in 'nmrpc/client/core'; ${FULL}`)
    this.#handlers = options.handlers
      ? parts.handlers!.flatten(options.handlers, 'createClient handlers')
      : undefined
    this.call = this.#view({}).call
  }

  with(options: CallOptions): ClientView<unknown> {
    return this.#view(options)
  }

  #view(options: CallOptions): ClientView<unknown> {
    return {
      call: createCallProxy((path, args) =>
        this.#options.use?.length
          ? runClientMiddleware(this.#options.use, path, args, options, (p, a, o) => this.#invoke(p, a, o))
          : this.#invoke(path, args, options),
      ) as Remote<unknown>,
      with: (more) => this.#view({ ...options, ...more }),
    }
  }

  #invoke(path: string, args: unknown[], options: CallOptions): CallResult {
    if (this.#options.mode === 'oneshot') {
      if (this.state === 'closed')
        return this.#failed(path, new RpcError('CLOSED', `the client of "${this.#host}" was closed`))
      return this.#parts.oneShot!(this.#target, path, args, {
        ...options,
        codec: this.#codec,
        timeout: options.timeout ?? this.#options.timeout ?? DEFAULT_TIMEOUT,
      })
    }
    const session = this.#ensure()
    if (session instanceof RpcError) return this.#failed(path, session)
    return session.call(path, args, options)
  }

  #failed(path: string, error: RpcError): CallResult {
    const call = new RemoteCall(path, 1, { grant() {}, cancel() {} })
    call.settleError(callFailed(path, error))
    return call.result
  }

  connect(): Promise<HostInfo> {
    if (this.#options.mode === 'oneshot')
      return Promise.reject(
        new TypeError("connect() needs mode 'port'; in one-shot mode every call starts the host"),
      )
    const session = this.#ensure()
    if (session instanceof RpcError) return Promise.reject(session)
    if (this.#hello) return Promise.resolve(this.#hello)
    return new Promise((resolve, reject) => this.#helloWaiters.push({ resolve, reject }))
  }

  on(name: string, listener: (data: unknown) => void): () => void {
    let set = this.eventListeners.get(name)
    if (!set) {
      set = new Set()
      this.eventListeners.set(name, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.eventListeners.delete(name)
    }
  }

  events(name: string, options?: EventsOptions): AsyncIterableIterator<unknown> {
    return eventIterator(
      name,
      {
        on: (listener) => this.on(name, listener),
        onEnd: (listener) => {
          if (this.state === 'closed') {
            listener(undefined)
            return () => {}
          }
          return this.onStateChange((state, error) => {
            if (state === 'closed') listener(undefined)
            else if (state === 'disconnected' && !this.#options.reconnect) listener(error)
          })
        },
      },
      options,
    )
  }

  onStateChange(listener: (state: ClientState, error?: RpcError) => void): () => void {
    this.#stateListeners.add(listener)
    return () => this.#stateListeners.delete(listener)
  }

  emit(name: string, data?: unknown): void {
    const session = this.#ensure()
    if (session instanceof RpcError) throw session
    session.emit(name, data)
  }

  close(): void {
    if (this.state === 'closed') return
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer)
    const error = new RpcError('CLOSED', `the client of "${this.#host}" was closed`)
    const session = this.#session
    this.#session = null
    this.#setState('closed', error)
    session?.close(error)
    this.#failHello(error)
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close()
    return Promise.resolve()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #ensure(): SessionRouter | RpcError {
    if (this.state === 'closed')
      return new RpcError('CLOSED', `the client of "${this.#host}" was closed; create a new one`)
    if (this.#session) return this.#session
    let port: PortLike
    try {
      port = typeof this.#target === 'string' ? connectNative(this.#target) : this.#target()
    } catch (e) {
      const error = new RpcError(
        'DISCONNECTED',
        e instanceof NoExtensionApiError
          ? e.message
          : `could not connect to native host "${this.#host}": ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      )
      this.lastError = error
      this.#setState('disconnected', error)
      return error
    }
    const o = this.#options
    const log = o.log ?? ((line: string) => console.warn(line))
    const transport = new PortTransport(
      port,
      this.#host,
      o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      typeof this.#target === 'string',
    )
    const traced = o.trace
      ? this.#parts.trace!(transport, {
          side: 'client',
          log: o.trace === true ? log : o.trace,
          byteLength: nodeByteLength ?? utf8Length,
        })
      : transport
    const session: SessionRouter = new SessionRouter(traced, {
      role: 'client',
      peer: `host "${this.#host}"`,
      self: 'the extension',
      handlers: this.#handlers,
      ...resolveLimits(o, this.#codec),
      incoming: this.#handlers ? this.#parts.handlers!.incoming : undefined,
      impl: IMPL,
      byteLength: nodeByteLength ?? utf8Length,
      log,
      context: (base: BaseContext) => ({ ...base, peer: this.call }),
      onEvent: (name, data) => {
        const set = this.eventListeners.get(name)
        if (!set) return
        for (const l of [...set]) {
          try {
            l(data)
          } catch (e) {
            log(`nmrpc: a listener for event "${name}" threw: ${e instanceof Error ? e.message : String(e)}`)
          }
        }
      },
      onHello: (h: HelloEnvelope) => {
        if (this.#session !== session) return
        this.#hello = { protocol: h.v, impl: h.impl ?? 'unknown' }
        this.#reconnectAttempts = 0
        this.#setState('open')
        const ws = this.#helloWaiters
        this.#helloWaiters = []
        for (const w of ws) w.resolve(this.#hello)
      },
      onClose: (error) => {
        if (this.#session !== session) return
        this.#session = null
        this.#hello = null
        this.lastError = error
        if (this.state !== 'closed') this.#setState('disconnected', error)
        this.#failHello(error)
        this.#scheduleReconnect(error)
      },
    })
    this.#session = session
    this.#setState('connecting')
    session.start()
    return session
  }

  #scheduleReconnect(error: RpcError): void {
    const r = this.#options.reconnect
    if (!r || this.state === 'closed' || this.#reconnectTimer) return
    if (error.code === 'HOST_NOT_FOUND' || error.code === 'FORBIDDEN' || error.code === 'VERSION_MISMATCH')
      return
    const o = r === true ? {} : r
    if (this.#reconnectAttempts >= (o.maxAttempts ?? Number.POSITIVE_INFINITY)) return
    const delay = Math.min(
      o.maxDelay ?? 30_000,
      (o.initialDelay ?? 500) * (o.factor ?? 2) ** this.#reconnectAttempts,
    )
    this.#reconnectAttempts++
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      if (this.state === 'disconnected' && !this.#session) void this.connect().catch(() => {})
    }, delay)
    ;(this.#reconnectTimer as { unref?: () => void }).unref?.()
  }

  #failHello(error: RpcError): void {
    const ws = this.#helloWaiters
    this.#helloWaiters = []
    for (const w of ws) w.reject(error)
  }

  #setState(state: ClientState, error?: RpcError): void {
    if (this.state === state) return
    this.state = state
    for (const l of [...this.#stateListeners]) l(state, error)
  }
}

/**
 * Creates a typed client for a native messaging host. `target` is the host's registered name (the
 * extension opens it with `runtime.connectNative`) or a function returning a Port (e.g. `spawnHost(...)`
 * from `nmrpc/node`). Nothing connects until the first call; after a disconnect the next call reconnects.
 *
 * @example
 * import type { Host } from '../host/host'
 * const client = createClient<Host>('com.acme.app')
 * const sum = await client.call.add(1, 2)
 * for await (const line of client.call.tail('/var/log/syslog')) console.log(line)
 */
export function createClient<Host, Events extends EventMap = EventsOf<Host>>(
  target: string | PortFactory,
  options: ClientOptions = {},
): Client<ApiOf<Host>, Events> {
  checkTarget(target)
  return new NativeClient(target, options, {
    codec: superjsonCodec,
    oneShot: oneShotCall,
    trace: traceTransport,
    handlers: { flatten: flattenHandlers, incoming: incomingCalls },
  }) as unknown as Client<ApiOf<Host>, Events>
}

/** Refuses a target that is neither a host name nor a Port factory, before anything connects. */
export function checkTarget(target: unknown): void {
  if (typeof target !== 'string' && typeof target !== 'function')
    throw new TypeError(
      `createClient needs a host name (like "com.acme.app") or a function returning a Port, got ${typeof target}`,
    )
}
