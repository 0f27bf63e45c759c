import type { Readable, Writable } from 'node:stream'
import { RpcError } from '../shared/errors.js'
import { flattenHandlers } from '../shared/handlers.js'
import type { HeldBytes } from '../shared/ledger.js'
import { BROWSER_INBOUND_LIMIT, DEFAULT_CLOSE_GRACE, DEFAULT_MAX_FRAME_IN } from '../shared/limits.js'
import { type EndpointOptions, resolveEndpointOptions } from '../shared/options.js'
import { createCallProxy } from '../shared/proxy.js'
import { type BaseContext, type CallOptions, Session } from '../shared/session.js'
import type { TraceOption } from '../shared/trace.js'
import type { ApiCarrier, EventCarrier, EventMap, Remote } from '../shared/types.js'
import { IMPL } from '../shared/version.js'
import { builtHostDefaults } from './builtHost.js'
import { maybeTraced, sleep, withDeadline } from './hostWaits.js'
import { type LaunchContext, parseLaunchContext, pieceBytesFor } from './launchContext.js'
import { type AnyHostMiddleware, applyHostMiddleware } from './middleware.js'
import type { AppConnection, AppServer, ServeOptions } from './serve.js'
import { StdioTransport } from './stdioTransport.js'
import { guardStdout } from './stdoutGuard.js'

/** What a `withContext` handler on the host receives first. */
export interface HostContext<PeerApi = unknown> extends BaseContext {
  /** Who started the host (from argv): the browser family, the extension's origin or id. */
  caller: LaunchContext
  /** The extension's handlers (given to `createClient({ handlers })`), callable from here. */
  peer: Remote<PeerApi>
  /** App mode (`host.serve()`): the browser connection this call came on; undefined under `listen()`. */
  connection?: AppConnection
}

export interface HostOptions extends EndpointOptions {
  /**
   * Name of the host in messages and logs.
   * @default the file name of the running script
   */
  name?: string
  /**
   * Largest message written to stdout before chunking. Browsers close the Port on a message over 1 MiB.
   * @default 1_048_576
   */
  maxMessageBytes?: number
  /**
   * Largest frame accepted on stdin; a bigger length header means the stream is broken and the host closes.
   * An nmrpc extension counts its messages in characters (the browser serialises them), so one of its
   * `maxMessageBytes` (1 MiB by default) may take up to 6 times as many bytes: keep this at least 6 times
   * that, or such a message closes the session.
   * @default 67_108_864 (64 MiB, Chromium's own limit)
   */
  maxFrameIn?: number
  /**
   * Ms that `host.close()` (and SIGTERM/SIGINT) lets running calls finish before cancelling them.
   * @default 1_000
   */
  closeGrace?: number
  /**
   * Extensions allowed to call this host, checked against the caller the browser names in argv (Chromium:
   * `chrome-extension://ID/` or the bare 32-letter ID; Firefox: the add-on id), in addition to the
   * browser's own manifest check. Any other caller (or none) gets `UNAUTHORIZED` for its calls and the
   * host exits. Unset: every caller the browser lets through, except in a host made by `nmrpc build`,
   * where it defaults to the `--extension-id`s baked in at build time (set it to override them).
   */
  allowedCallers?: readonly string[]
  /** Receives events the extension sends with `client.emit`. */
  onEvent?: (name: string, data: unknown) => void
  /**
   * Where diagnostic lines go: at most 1,000 at once and 100 a second after that (the rest are counted and
   * the count printed), since most are about what the peer sent.
   * @default a line on stderr
   */
  log?: (line: string) => void
  /**
   * Middleware run around every call, first to last (see `hostMiddleware`); `host.use(...)` appends more.
   * @default []
   */
  use?: readonly AnyHostMiddleware[]
  /**
   * One line per envelope in and out (kind, id, method, size, time since its call started, outcome):
   * `true` writes them to `log`, a function receives them. Off costs nothing (nothing is wrapped).
   * @default true when the environment has NMRPC_TRACE=1, else false
   */
  trace?: TraceOption
}

// Node's stream types, described by shape: `typeof host` reaches an extension's compiler through
// `import type`, and must not need @types/node there. Any Node Readable / Writable fits.
type NodeStreamLike = { on(event: string, listener: (...args: never[]) => void): unknown }

export interface ListenOptions {
  /** A Node `Readable`. @default process.stdin */
  input?: NodeStreamLike
  /** A Node `Writable`. @default process.stdout (guarded: console.log goes to stderr) */
  output?: NodeStreamLike
  /** Launch arguments. @default process.argv.slice(2) */
  argv?: readonly string[]
  /**
   * Exit the process once the browser hangs up and replies are flushed, even if timers are left: right
   * after the code that awaits `listen()` has run its synchronous part (pass `false` to clean up
   * asynchronously, then exit yourself).
   * @default true when serving process stdio, false with other streams
   */
  exitOnClose?: boolean
}

/**
 * A native messaging host: the handlers, and the means to serve them. Made by {@link defineHost}; its
 * type (`typeof host`) is what `createClient<Host>` takes.
 */
export class NativeHost<Api extends object, Events extends EventMap = EventMap>
  implements ApiCarrier<Api>, EventCarrier<Events>
{
  declare readonly '~api'?: Api
  declare readonly '~events'?: Events
  readonly handlers: Api
  private readonly table
  private session: Session | null = null
  private transport: StdioTransport | null = null
  private closing: Promise<void> | null = null
  private caller: LaunchContext = { browser: 'unknown', argv: [] }
  private readonly peerProxy: unknown
  private app: AppServer | null = null
  private readonly middleware: AnyHostMiddleware[]

  constructor(
    handlers: Api,
    private readonly options: HostOptions = {},
  ) {
    this.handlers = handlers
    this.table = flattenHandlers(handlers, 'defineHost')
    this.middleware = [...(options.use ?? [])]
    for (const [i, m] of this.middleware.entries())
      if (typeof m !== 'function')
        throw new TypeError(
          `defineHost: use[${i}] is ${typeof m}, not a middleware function (ctx, next) => ...`,
        )
    this.peerProxy = createCallProxy((path, args) => this.requireSession().call(path, args))
  }

  /**
   * Bytes this host holds on the browser's behalf now, by kind, against its budget (`maxHeldBytes`):
   * for monitoring and tests. Undefined before `listen()`.
   */
  get held(): HeldBytes | undefined {
    return this.session?.held
  }

  /** The launch context (who started the host); set once `listen()` has run. */
  get launch(): LaunchContext {
    return this.caller
  }

  /**
   * Calls the extension's handlers (those given to `createClient(..., { handlers })`) from outside any call,
   * e.g. from a timer or a file watcher. Type it with the extension's API: `host.peer<ExtensionApi>()`.
   */
  peer<PeerApi extends object>(options?: CallOptions): Remote<PeerApi> {
    if (!options) return this.peerProxy as Remote<PeerApi>
    return createCallProxy((path, args) => this.requireSession().call(path, args, options)) as Remote<PeerApi>
  }

  /**
   * Declares the events this host emits, for types only: `emit` then checks names and payloads, and a
   * client created with `createClient<typeof host>` gets typed `on` listeners.
   *
   * @example
   * const host = defineHost({ ... }).withEvents<{ vaultLocked: { at: Date } }>()
   * host.emit('vaultLocked', { at: new Date() })
   */
  withEvents<E extends EventMap>(): NativeHost<Api, E> {
    return this as unknown as NativeHost<Api, E>
  }

  /**
   * Appends middleware to run around every call, after those given in `use`. Call it before `listen()`.
   *
   * @example
   * host.use(async (ctx, next) => {
   *   const t = performance.now()
   *   try { return await next() } finally { console.error(ctx.path, performance.now() - t) }
   * })
   */
  use(...middleware: AnyHostMiddleware[]): this {
    if (this.session || this.app)
      throw new Error('host.use() after listen() or serve(): add middleware before the host starts serving')
    for (const m of middleware)
      if (typeof m !== 'function')
        throw new TypeError(`host.use() takes middleware functions (ctx, next) => ..., got ${typeof m}`)
    this.middleware.push(...middleware)
    return this
  }

  /**
   * Sends an event to the extension (`client.on(name, fn)` receives it). Fire and forget. In app mode
   * (`serve()`) it reaches every connection, or only `to` (one connection or a list of them).
   */
  emit<K extends keyof Events & string>(
    name: K,
    data: Events[K],
    to?: AppConnection | readonly AppConnection[],
  ): void {
    if (this.app) this.app.emit(name, data, to)
    else this.requireSession().emit(name, data)
  }

  /**
   * Serves as a running app: listens on the per-user endpoint for `name` (see `appEndpoint`) and
   * serves every browser that reaches it through `nmrpc relay`, each connection its own session with its
   * own `ctx.caller` (and `allowedCallers` checked per connection). Resolves once connections are accepted;
   * rejects when another instance serves the name (unless `takeover`). `close()` ends every connection.
   *
   * @example
   * const app = defineHost({ ping: () => 'pong' }, { allowedCallers: [EXTENSION_ID] })
   * await app.serve({ name: 'com.acme.app' })
   * setInterval(() => app.emit('tick', Date.now()), 1_000)
   */
  async serve(options: ServeOptions): Promise<void> {
    if (this.session || this.app)
      throw new Error('this host is already serving (listen() or serve() was called); call each once')
    const o = this.options
    // Loaded here, not at the top: app mode needs node:net and node:crypto, which a browser-started host
    // (listen()) never uses, and loading them costs every cold start (issue 13's cold-start budget).
    const { AppServer } = await import('./serve.js')
    if (this.session || this.app)
      throw new Error('this host is already serving (listen() or serve() was called); call each once')
    const app = new AppServer(
      applyHostMiddleware(this.table, this.middleware),
      { name: options.name, ...o },
      options,
      (caller) => {
        const allowed = allowedCallersOf(o)
        return allowed ? refuseCaller(caller, allowed, o.name ?? options.name) : undefined
      },
    )
    await app.start()
    this.app = app
  }

  /** App mode: the browser connections being served now (empty before `serve()`). */
  get connections(): AppConnection[] {
    return this.app?.connections ?? []
  }

  /** App mode: the endpoint `serve()` listens on (a socket path or a pipe name), once it does. */
  get endpoint(): string | undefined {
    return this.app?.endpoint.path
  }

  /**
   * Serves the browser on stdin/stdout (or the given streams). Resolves when the browser hangs up and every
   * reply owed has been flushed; then, serving process stdio, the process exits (see `exitOnClose`).
   *
   * @example
   * const host = defineHost({ ping: () => 'pong' })
   * await host.listen()
   */
  async listen(io: ListenOptions = {}): Promise<void> {
    if (this.session)
      throw new Error('host.listen() was already called; a host serves one browser connection')
    const o = this.options
    const processStdio = io.output === undefined
    const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
    const guard = processStdio ? guardStdout() : null
    const input = (io.input ?? process.stdin) as Readable
    const output = (io.output ?? process.stdout) as Writable
    const exitOnClose = io.exitOnClose ?? processStdio
    // A process about to exit need not close stdin first: node's destroy of an ended stdin creates
    // process.stderr (net.Socket's _destroy compares itself with it) and closes the pipe, 1.5 M instructions
    // of a built host's 126 M start (callgrind, bench/coldStart.ts). The fd closes with the process.
    if (exitOnClose && input === process.stdin) keepOpenAtEnd(input)
    this.caller = parseLaunchContext(io.argv ?? process.argv.slice(2))
    // A built host names itself by its baked name (process.argv[1] is the bundle, or empty in a SEA). The
    // file name without node:path: a built host loads and wraps that module for nothing else at its start.
    const name = o.name ?? builtHostDefaults()?.name ?? (process.argv[1]?.split(/[\\/]/).pop() || 'host')
    const transport = new StdioTransport(input, output, {
      maxFrameIn: o.maxFrameIn ?? DEFAULT_MAX_FRAME_IN,
      maxMessageBytes: o.maxMessageBytes ?? BROWSER_INBOUND_LIMIT,
      pieceBytes: pieceBytesFor(this.caller.browser),
      write: guard ? (chunk) => guard.write(chunk) : undefined,
      log,
    })
    let closed!: () => void
    const whenClosed = new Promise<void>((resolve) => {
      closed = resolve
    })
    const from = this.caller.origin ?? this.caller.extensionId
    const traced = maybeTraced(transport, o.trace, `host "${name}"`, log)
    const session = new Session(traced, {
      role: 'host',
      peer: from ? `the extension (${from})` : 'the extension',
      self: `host "${name}"`,
      handlers: applyHostMiddleware(this.table, this.middleware),
      ...resolveEndpointOptions(o),
      impl: IMPL,
      byteLength: Buffer.byteLength,
      log,
      context: (base): HostContext => ({
        ...base,
        caller: this.caller,
        peer: this.peerProxy as Remote<unknown>,
      }),
      onEvent: o.onEvent,
      onClose: () => closed(),
      // A refused caller has had its answer: leave soon (the browser sends its first calls right away).
      onRefused: () => void setTimeout(() => void this.close(), 20),
    })
    const allowed = allowedCallersOf(o)
    const refusal = allowed ? refuseCaller(this.caller, allowed, name) : undefined
    if (refusal) {
      log(`nmrpc: ${refusal}`)
      session.refuseCaller(refusal)
      setTimeout(() => void this.close(), 2_000).unref()
    }
    this.session = session
    this.transport = transport
    // Each signal once, as process.once would (a second Ctrl-C kills): `on` and `off`, since node's once
    // wrappers are functions a built host's start would compile only for this.
    const onSignal = (signal: NodeJS.Signals) => {
      process.off(signal, onSignal)
      void this.close()
    }
    if (processStdio) {
      process.on('SIGTERM', onSignal)
      process.on('SIGINT', onSignal)
    }
    session.start()
    await whenClosed
    // The browser is gone (or we are closing): let streams run their `finally`, then flush what is owed.
    await withDeadline(session.idle(), o.closeGrace ?? DEFAULT_CLOSE_GRACE)
    await withDeadline(transport.flush(), o.closeGrace ?? DEFAULT_CLOSE_GRACE)
    if (processStdio) {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    }
    if (exitOnClose) {
      // Once what listen()'s caller does next has run (its synchronous part, and what it awaits that is
      // already settled), even with timers or sockets left. A tick, not a timer: the first setTimeout of a
      // process sets up node's timers (1.4 M instructions of a built host's 126 M start; an immediate 0.7 M).
      process.nextTick(() => process.exit(0))
    }
  }

  /**
   * Shuts down gracefully: running calls get `closeGrace` ms to finish, then are cancelled (their signals
   * fire, stream generators' `finally` blocks run); replies are flushed and `listen()` resolves.
   */
  close(): Promise<void> {
    if (this.app) return this.app.close()
    if (this.closing) return this.closing
    const session = this.session
    if (!session) return Promise.resolve()
    this.closing = (async () => {
      const deadline = Date.now() + (this.options.closeGrace ?? DEFAULT_CLOSE_GRACE)
      session.refuseCalls('the host is shutting down')
      while (session.load.incoming > 0 && Date.now() < deadline) await sleep(10)
      await withDeadline(this.transport!.flush(), Math.max(0, deadline - Date.now()))
      session.close(new RpcError('CLOSED', 'the host is shutting down'))
    })()
    return this.closing
  }

  /** `await using host = defineHost(...)`: closes like `close()` when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** `using host = defineHost(...)`: starts `close()` when the scope ends (it does not wait for it). */
  [Symbol.dispose](): void {
    void this.close()
  }

  private requireSession(): Session {
    if (this.app)
      throw new Error(
        'an app serves many connections: call connection.peer() on one of host.connections (or ctx.connection)',
      )
    if (!this.session) throw new Error('the host is not connected yet: call host.listen() first')
    return this.session
  }
}

/**
 * Stops node from destroying `input` when it ends (its `autoDestroy`), where the stream lets that be set;
 * a stream that does not is left as it is.
 */
function keepOpenAtEnd(input: Readable): void {
  const state = (input as { _readableState?: { autoDestroy?: unknown } })._readableState
  if (state && typeof state.autoDestroy === 'boolean') state.autoDestroy = false
}

/** The callers to check, and where the list came from (the fix differs). */
function allowedCallersOf(o: HostOptions): { ids: readonly string[]; baked: boolean } | undefined {
  if (o.allowedCallers) return { ids: o.allowedCallers, baked: false }
  // A built host refuses what its manifests would not name, even if a manifest is edited by hand.
  const baked = builtHostDefaults()
  return baked ? { ids: baked.allowedCallers, baked: true } : undefined
}

/** Why the caller may not call this host, or undefined when it may. */
function refuseCaller(
  caller: LaunchContext,
  list: { ids: readonly string[]; baked: boolean },
  name: string,
): string | undefined {
  const allowed = list.ids
  const ids = allowed.map((a) => /^chrome-extension:\/\/([^/]+)\/?$/.exec(a)?.[1] ?? a)
  if (caller.extensionId && ids.includes(caller.extensionId)) return undefined
  const who =
    caller.origin ?? caller.extensionId ?? `an unknown caller (argv: ${JSON.stringify(caller.argv)})`
  return (
    `host "${name}" does not accept calls from ${who}: ` +
    (list.baked
      ? `it is not among the extension ids built into this host (${allowed.join(', ')}); ` +
        "build it again with the extension's id: nmrpc build ... --extension-id <id>"
      : `it is not in allowedCallers (${allowed.join(', ')}); ` +
        "add the extension's id to allowedCallers in defineHost's options")
  )
}

/**
 * Defines a native messaging host from a table of handlers: functions (sync or async: a Promise on the
 * client), async generators (an AsyncIterable on the client) and nested namespace objects. Export its
 * type for the extension to `import type`; call `listen()` to serve the browser.
 *
 * @example
 * export const host = defineHost({
 *   add: (a: number, b: number) => a + b,
 *   async *tail(file: string) { yield* lines(file) },
 *   fs: { read: (p: string) => readFile(p) },
 * })
 * export type Host = typeof host
 * host.listen()
 */
export function defineHost<Api extends object, Events extends EventMap = EventMap>(
  handlers: Api,
  options?: HostOptions,
): NativeHost<Api, Events> {
  return new NativeHost<Api, Events>(handlers, options)
}
