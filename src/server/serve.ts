import { randomBytes } from 'node:crypto'
import {
  type BigIntStats,
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
} from 'node:fs'
import { connect, createServer, type Server, Socket } from 'node:net'
import { basename, join } from 'node:path'
import { RpcError } from '../shared/errors.js'
import type { HandlerEntry } from '../shared/handlers.js'
import { BROWSER_INBOUND_LIMIT, DEFAULT_CLOSE_GRACE, DEFAULT_MAX_FRAME_IN } from '../shared/limits.js'
import { resolveEndpointOptions } from '../shared/options.js'
import { createCallProxy } from '../shared/proxy.js'
import { type CallOptions, Session } from '../shared/session.js'
import type { Remote } from '../shared/types.js'
import { IMPL } from '../shared/version.js'
import type { HostContext, HostOptions } from './defineHost.js'
import { type AppEndpoint, appEndpoint, secureEndpointDir } from './endpoint.js'
import { maybeTraced, sleep, withDeadline } from './hostWaits.js'
import { type LaunchContext, parseLaunchContext, pieceBytesFor } from './launchContext.js'
import { encodeHandshake, type RelayHandshake, readHandshake } from './relayHandshake.js'
import { SocketTransport } from './socketTransport.js'

/** What `host.serve()` takes. */
export interface ServeOptions {
  /** The app's native host name (what the extension passes to `connectNative`), e.g. `com.acme.app`. */
  name: string
  /**
   * When another instance already serves this name: `false` fails `serve()` with a clear error; `true`
   * takes the endpoint over (new relays reach this instance; the old one keeps the connections it has).
   * Not possible with Windows named pipes.
   * @default false
   */
  takeover?: boolean
  /**
   * Connections served at once; the next one gets `LIMIT_EXCEEDED` for its calls and is closed.
   * @default 64
   */
  maxConnections?: number
  /**
   * Ms a new connection has to send the relay handshake before it is dropped.
   * @default 5_000
   */
  handshakeTimeout?: number
  /**
   * Take the relay out of the data path when it offers its pipes (Linux, where the browser's pipes are
   * FIFOs): the app opens them through `/proc/<relay pid>/fd` and talks to the browser directly. `false`
   * (or NMRPC_RELAY_COPY=1 in the app's or the relay's environment) keeps the relay copying bytes.
   * @default true
   */
  handoff?: boolean
  /** Called when a relay connection has been accepted (after its handshake). */
  onConnect?: (connection: AppConnection) => void
  /** Called when a connection has ended, with why. */
  onDisconnect?: (connection: AppConnection, reason: RpcError) => void
}

/** One browser connection to a serving app: one relay, one extension, one session. */
export interface AppConnection {
  /** A counter, unique within this `serve()`. */
  readonly id: number
  /** Who started the relay, from the browser's arguments it passed on. */
  readonly caller: LaunchContext
  /** When the handshake came. */
  readonly since: Date
  /** The relay's process id, as the relay says. */
  readonly relayPid: number | undefined
  /**
   * How the browser's bytes travel: `handoff`, the app reads and writes the browser's pipes itself (the
   * relay only waits); `relay-copy`, the relay copies them over the endpoint connection.
   */
  readonly transport: 'handoff' | 'relay-copy'
  /** Sends an event to this connection's extension only. */
  emit(name: string, data?: unknown): void
  /** Calls this connection's extension (the handlers it gave to `createClient`). */
  peer<PeerApi extends object>(options?: CallOptions): Remote<PeerApi>
  /** Ends this connection gracefully: running calls get `closeGrace` ms, then the relay is told to go. */
  close(): Promise<void>
}

const DEFAULT_MAX_CONNECTIONS = 64
const DEFAULT_HANDSHAKE_TIMEOUT = 5_000

interface Served {
  conn: Connection
  session: Session
  transport: SocketTransport
  socket: Socket
  /** The browser's pipes, after a handoff; closed when the connection ends. */
  pipes: HandedPipes | null
  /** The browser closed its pipe (stdin EOF): the relay leaves with 0. */
  browserClosed: boolean
}

interface HandedPipes {
  input: Socket
  output: Socket
}

class Connection implements AppConnection {
  readonly since = new Date()
  readonly peerProxy: unknown
  closing: Promise<void> | null = null

  constructor(
    readonly id: number,
    readonly caller: LaunchContext,
    readonly relayPid: number | undefined,
    readonly transport: 'handoff' | 'relay-copy',
    private readonly served: () => Served,
    private readonly grace: number,
  ) {
    this.peerProxy = createCallProxy((path, args) => this.served().session.call(path, args))
  }

  emit(name: string, data?: unknown): void {
    this.served().session.emit(name, data)
  }

  peer<PeerApi extends object>(options?: CallOptions): Remote<PeerApi> {
    if (!options) return this.peerProxy as Remote<PeerApi>
    return createCallProxy((path, args) => this.served().session.call(path, args, options)) as Remote<PeerApi>
  }

  close(reason = 'the app closed this connection'): Promise<void> {
    if (this.closing) return this.closing
    const { session, transport } = this.served()
    this.closing = (async () => {
      const deadline = Date.now() + this.grace
      session.refuseCalls(reason)
      while (session.load.incoming > 0 && Date.now() < deadline && !session.isClosed) await sleep(10)
      await withDeadline(transport.flush(), Math.max(0, deadline - Date.now()))
      session.close(new RpcError('CLOSED', reason))
    })()
    return this.closing
  }

  /** Shown by console.log / util.inspect: the useful fields, not the session's insides. */
  toJSON() {
    return {
      id: this.id,
      caller: this.caller,
      since: this.since,
      relayPid: this.relayPid,
      transport: this.transport,
    }
  }
}

/**
 * The app side of app mode: listens on the app's per-user endpoint and runs one session per relay
 * connection, with that connection's caller. Made by `host.serve()`; the engine is the same as `listen()`'s,
 * only the transport differs.
 */
export class AppServer {
  readonly endpoint: AppEndpoint
  private server: Server | null = null
  private readonly live = new Map<number, Served>()
  private readonly sockets = new Set<Socket>()
  private seq = 0
  private owned: BigIntStats | null = null
  private closing: Promise<void> | null = null
  private readonly log: (line: string) => void
  private readonly grace: number

  constructor(
    private readonly table: Map<string, HandlerEntry>,
    private readonly host: HostOptions,
    private readonly o: ServeOptions,
    /** Why `caller` may not call this app, or undefined when it may (allowedCallers). */
    private readonly refuse: (caller: LaunchContext) => string | undefined,
  ) {
    this.endpoint = appEndpoint(o.name)
    this.log = host.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
    this.grace = host.closeGrace ?? DEFAULT_CLOSE_GRACE
  }

  get connections(): AppConnection[] {
    return [...this.live.values()].map((s) => s.conn)
  }

  /** Listens; resolves once connections are accepted. */
  async start(): Promise<void> {
    const ep = this.endpoint
    const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket))
    if (ep.kind === 'pipe') {
      try {
        await listen(server, ep.path)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
        throw new Error(
          `App "${this.o.name}" is already running: another process serves ${ep.path}. Stop it first` +
            (this.o.takeover ? ' (takeover is not possible with Windows named pipes)' : ''),
        )
      }
    } else {
      await this.listenUnix(server, ep.path, ep.dir!)
    }
    server.on('error', (e) =>
      this.log(`nmrpc: app "${this.o.name}" endpoint ${ep.path} failed: ${e.message}`),
    )
    this.server = server
  }

  /**
   * Binds a private name in the 0700 folder, sets 0600, then puts the socket in place with link(2), which
   * fails if something is there (a second instance loses cleanly), or rename(2) for a takeover (atomic).
   * Binding the private name also matters because Node unlinks a Unix server's path when it closes: an
   * instance that was taken over then removes only its private name, never the new instance's socket.
   */
  private async listenUnix(server: Server, path: string, dir: string): Promise<void> {
    secureEndpointDir(dir)
    const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`)
    await listen(server, temp)
    try {
      chmodSync(temp, 0o600)
      for (let attempt = 0; ; attempt++) {
        const st = lstatSync(path, { throwIfNoEntry: false })
        if (st && !st.isSocket())
          throw new Error(
            `${path} exists and is not a socket, so app "${this.o.name}" cannot listen there; remove that file`,
          )
        if (st && (await answers(path))) {
          if (!this.o.takeover)
            throw new Error(
              `App "${this.o.name}" is already running: another process serves ${path}. Stop it first, or ` +
                `pass serve({ name: '${this.o.name}', takeover: true }) to take new connections over from it`,
            )
          renameSync(temp, path)
          break
        }
        if (st) {
          this.log(`nmrpc: replacing the stale socket ${path} (its app is gone)`)
          rmSync(path, { force: true })
        }
        try {
          linkSync(temp, path)
          rmSync(temp, { force: true })
          break
        } catch (e) {
          // Another instance put its socket there between our look and our link: look again (once).
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e
        }
      }
      this.owned = lstatSync(path, { bigint: true })
    } catch (e) {
      server.close()
      rmSync(temp, { force: true })
      throw e
    }
  }

  private accept(socket: Socket): void {
    const max = this.o.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    // Connections still in their handshake are bounded too: by count here, and by handshakeTimeout.
    if (this.closing || this.sockets.size >= max * 2) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    socket.on('error', () => {
      // Reported by readHandshake or the transport; this only keeps an error from being unhandled.
    })
    socket.once('close', () => this.sockets.delete(socket))
    socket.resume()
    readHandshake(socket, this.o.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT).then(
      ({ handshake, rest }) => this.open(socket, handshake, rest),
      (e: Error) => {
        if (e.message)
          this.log(`nmrpc: app "${this.o.name}" dropped a connection on ${this.endpoint.path}: ${e.message}`)
        socket.destroy()
      },
    )
  }

  private open(socket: Socket, handshake: RelayHandshake, rest: Buffer): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const h = this.host
    const caller = parseLaunchContext(handshake.argv)
    const from = caller.origin ?? caller.extensionId
    const id = ++this.seq
    const pipes = handshake.handoff ? this.answerOffer(socket, handshake, rest) : null
    const peer = `the extension${from ? ` (${from})` : ''} ${pipes ? 'handed over by' : 'through'} relay ${handshake.pid ?? '?'}`
    let served!: Served
    const conn = new Connection(
      id,
      caller,
      handshake.pid,
      pipes ? 'handoff' : 'relay-copy',
      () => served,
      this.grace,
    )
    const transport = new SocketTransport(pipes ? pipes.input : socket, {
      maxFrameIn: h.maxFrameIn ?? DEFAULT_MAX_FRAME_IN,
      maxMessageBytes: h.maxMessageBytes ?? BROWSER_INBOUND_LIMIT,
      pieceBytes: pieceBytesFor(caller.browser),
      initial: pipes ? undefined : rest,
      output: pipes?.output,
      peer,
      log: this.log,
    })
    if (pipes) {
      pipes.input.once('end', () => {
        served.browserClosed = true
      })
      // The relay only waits now; it sends nothing more. Its connection closing means it died (the browser
      // killed it): close the pipes, or the browser would never see EOF while this app holds the write end.
      socket.on('data', () => {})
      socket.once('close', () => {
        pipes.input.destroy()
        pipes.output.destroy()
      })
      socket.resume()
    }
    // Tracing as under listen() (the trace option, or NMRPC_TRACE=1), per connection: each line names the
    // connection and its caller, so one app's interleaved connections can be told apart.
    const traced = maybeTraced(
      transport,
      h.trace,
      `app "${this.o.name}" connection #${id} (${from ?? 'unknown caller'})`,
      this.log,
    )
    const session = new Session(traced, {
      role: 'host',
      peer,
      self: `app "${this.o.name}"`,
      handlers: this.table,
      ...resolveEndpointOptions(h),
      impl: IMPL,
      byteLength: Buffer.byteLength,
      log: this.log,
      context: (base): HostContext => ({
        ...base,
        caller,
        peer: conn.peerProxy as Remote<unknown>,
        connection: conn,
      }),
      onEvent: h.onEvent,
      onClose: (error) => void this.ended(served, error),
      // A refused caller has had its answer: drop it soon (the browser sends its first calls right away).
      onRefused: () => void setTimeout(() => void conn.close('refused'), 20),
    })
    served = { conn, session, transport, socket, pipes, browserClosed: false }
    const max = this.o.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    const refusal =
      this.refuse(caller) ??
      (this.live.size >= max
        ? `app "${this.o.name}" already serves ${this.live.size} connections (maxConnections ${max}); ` +
          'close other browser windows or profiles, or raise maxConnections in serve()'
        : undefined)
    if (refusal) {
      this.log(`nmrpc: ${refusal}`)
      // A refused connection gets nothing processed: not its events, chunks or binary parts either.
      session.refuseCaller(refusal, this.live.size >= max ? 'LIMIT_EXCEEDED' : 'UNAUTHORIZED')
      setTimeout(() => void conn.close('refused'), 2_000).unref()
    } else {
      this.live.set(id, served)
    }
    session.start()
    if (!refusal) this.o.onConnect?.(conn)
  }

  /**
   * Answers a relay that offers its pipes: opens them (handoff) or says why not (copy). Only the pid the
   * relay claims is opened, over an endpoint only this user reaches; SECURITY.md says why that is no new
   * capability.
   */
  private answerOffer(socket: Socket, handshake: RelayHandshake, rest: Buffer): HandedPipes | null {
    const off =
      this.o.handoff === false || process.env.NMRPC_RELAY_COPY === '1'
        ? 'handoff is turned off'
        : rest.length > 0
          ? 'the relay sent bytes after its offer'
          : undefined
    const got = off ?? openRelayPipes(handshake.pid)
    if (typeof got === 'string') {
      socket.write(encodeHandshake({ t: 'relay-answer', mode: 'copy', why: got }))
      return null
    }
    socket.write(encodeHandshake({ t: 'relay-answer', mode: 'handoff' }))
    return got
  }

  /** A session ended (the relay went, or we closed it): let streams stop, flush, then end the socket. */
  private async ended(s: Served, error: RpcError): Promise<void> {
    const wasLive = this.live.delete(s.conn.id)
    await withDeadline(s.session.idle(), this.grace)
    await withDeadline(s.transport.flush(), this.grace)
    if (s.pipes) {
      // Our descriptors on the browser's pipes go first, so that the relay leaving is the browser's EOF.
      s.pipes.input.destroy()
      s.pipes.output.destroy()
      const code = s.browserClosed ? 0 : 1
      s.socket.end(encodeHandshake({ t: 'relay-end', code, why: error.message }))
    } else s.socket.end()
    setTimeout(() => s.socket.destroy(), this.grace).unref()
    if (wasLive) this.o.onDisconnect?.(s.conn, error)
  }

  /** Sends an event to every connection (or those in `to`). */
  emit(name: string, data: unknown, to?: AppConnection | readonly AppConnection[]): void {
    const only = to === undefined ? undefined : new Set(Array.isArray(to) ? to : [to])
    for (const s of this.live.values()) {
      if (only && !only.has(s.conn)) continue
      if (!s.session.isClosed) s.session.emit(name, data)
    }
  }

  /** Stops listening, closes every connection gracefully, removes the socket file (if still ours). */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closing = (async () => {
      const server = this.server
      const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined
      this.removeSocketFile()
      await Promise.all([...this.live.values()].map((s) => s.conn.close('the app is shutting down')))
      for (const socket of this.sockets) socket.destroy()
      if (closed) await withDeadline(closed, this.grace)
    })()
    return this.closing
  }

  private removeSocketFile(): void {
    if (!this.owned) return
    // Only our own socket: after a takeover the path belongs to the new instance.
    // A new socket in the same place can get the same inode number at once (tmpfs), so compare ctime too.
    const now = lstatSync(this.endpoint.path, { throwIfNoEntry: false, bigint: true })
    const o = this.owned
    if (now && now.ino === o.ino && now.dev === o.dev && now.ctimeNs === o.ctimeNs)
      unlinkSync(this.endpoint.path)
    this.owned = null
  }
}

/**
 * Opens the relay's stdin and stdout through /proc (new descriptors on the same pipes, non-blocking) and
 * wraps them as libuv pipes; or says why not (not Linux, no pid, not FIFOs, a sandbox that refuses).
 */
function openRelayPipes(pid: number | undefined): HandedPipes | string {
  if (process.platform !== 'linux') return `handoff needs Linux's /proc (this is ${process.platform})`
  if (pid === undefined) return 'the relay gave no pid'
  let rfd = -1
  let wfd = -1
  try {
    rfd = openSync(`/proc/${pid}/fd/0`, constants.O_RDONLY | constants.O_NONBLOCK)
    // O_NONBLOCK on a FIFO's write end fails (ENXIO) when nobody reads it: the browser is gone already.
    wfd = openSync(`/proc/${pid}/fd/1`, constants.O_WRONLY | constants.O_NONBLOCK)
    if (!fstatSync(rfd).isFIFO() || !fstatSync(wfd).isFIFO()) throw new Error('they are not FIFOs')
  } catch (e) {
    if (rfd >= 0) closeSync(rfd)
    if (wfd >= 0) closeSync(wfd)
    return `could not open /proc/${pid}/fd/0 and /proc/${pid}/fd/1: ${(e as Error).message}`
  }
  return {
    input: new Socket({ fd: rfd, readable: true, writable: false }),
    output: new Socket({ fd: wfd, readable: false, writable: true }),
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e)
    server.once('error', onError)
    server.listen(path, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** Whether something accepts connections at `path` (a live app), within a second. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    const done = (alive: boolean) => {
      clearTimeout(timer)
      s.destroy()
      resolve(alive)
    }
    const timer = setTimeout(() => done(true), 1_000)
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}
