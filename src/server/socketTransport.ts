import type { Socket } from 'node:net'
import type { Transport, TransportSink } from '../shared/transport.js'
import { FramedWriter, jsonFrameDecoder } from './framedWriter.js'

export interface SocketTransportOptions {
  /** Largest frame accepted from the relay (what the browser may send: 64 MiB). */
  maxFrameIn: number
  /** Largest frame body this side may write: the browser's 1 MiB limit, since the relay copies bytes on. */
  maxMessageBytes: number
  /** The most bytes one piece of a large message carries (see Transport.pieceBytes). */
  pieceBytes?: number
  /** Bytes that arrived after the relay handshake, in the same read: the browser's first messages. */
  initial?: Uint8Array
  /** How messages name the other end, e.g. `the relay for chrome-extension://…/`. */
  peer: string
  /** Called with a line for the log. */
  log: (line: string) => void
  /**
   * Where to write, when it is not `socket`: after a relay handoff the app reads the browser's pipe (the
   * relay's stdin, opened through /proc) and writes the other (its stdout).
   */
  output?: Socket
}

/**
 * Native messaging framing over one app connection (a Unix socket or a named pipe from `nmrpc relay`).
 * The relay copies the browser's bytes unchanged, so this is the stdio framing on a socket: 4-byte length
 * plus UTF-8 JSON, with the same limits the browser sets.
 */
export class SocketTransport implements Transport {
  readonly kind = 'text' as const
  readonly maxMessageBytes: number
  readonly pieceBytes: number | undefined
  private closed = false
  private sink: TransportSink | null = null
  private readonly writer: FramedWriter
  private readonly output: Socket

  constructor(
    private readonly socket: Socket,
    private readonly opts: SocketTransportOptions,
  ) {
    this.maxMessageBytes = opts.maxMessageBytes
    this.pieceBytes = opts.pieceBytes
    this.output = opts.output ?? socket
    this.writer = new FramedWriter(this.output, { maxMessageBytes: opts.maxMessageBytes })
  }

  /** Bytes written but not yet taken by the relay (the browser stopped reading, or reads slowly). */
  get buffered(): number {
    return this.writer.buffered
  }

  start(sink: TransportSink): void {
    this.sink = sink
    const decoder = jsonFrameDecoder(sink, this.opts.maxFrameIn)
    const push = (chunk: Uint8Array) => {
      if (this.closed) return
      try {
        decoder.push(chunk)
      } catch (e) {
        const message = `input from ${this.opts.peer} is broken: ${e instanceof Error ? e.message : String(e)}`
        this.opts.log(`nmrpc: ${message}; closing the connection`)
        this.finish(message, 'PROTOCOL_ERROR')
      }
    }
    this.socket.on('data', push)
    this.socket.once('end', () => this.finish(`${this.opts.peer} closed the connection`))
    this.socket.once('close', () => this.finish(`${this.opts.peer} closed the connection`))
    this.socket.on('error', (e: Error) =>
      this.finish(`the connection to ${this.opts.peer} failed: ${e.message}`),
    )
    this.output.on('drain', () => sink.drain())
    if (this.output !== this.socket) {
      // EPIPE: the browser stopped reading its end of the pipe (it closed the Port or died).
      this.output.on('error', (e: Error) => this.finish(`writing to ${this.opts.peer} failed: ${e.message}`))
      this.output.once('close', () => this.finish(`${this.opts.peer} stopped reading`))
    }
    if (this.opts.initial && this.opts.initial.length > 0) push(this.opts.initial)
    this.socket.resume()
  }

  send(text: string | object, bytes?: number): boolean {
    if (this.closed || this.writer.gone) return true
    return typeof text === 'string' ? this.writer.send(text, bytes) : this.writer.send(JSON.stringify(text))
  }

  /** Resolves once everything written so far has been handed to the OS (or the socket is gone). */
  flush(): Promise<void> {
    return this.writer.flush()
  }

  close(): void {
    this.finish('the app closed the connection')
    // end() after what is queued, so the last replies reach the relay; the session has flushed already.
    this.output.end()
  }

  private finish(message: string, code?: 'PROTOCOL_ERROR'): void {
    if (this.closed) return
    this.closed = true
    this.sink?.closed(code ? { message, code } : { message })
  }
}
