import type { Readable, Writable } from 'node:stream'
import type { Transport, TransportSink } from '../shared/transport.js'
import { FramedWriter, jsonFrameDecoder } from './framedWriter.js'

export interface StdioTransportOptions {
  /** Largest frame accepted on input. */
  maxFrameIn: number
  /** Largest frame body this side may write (the browser's 1 MiB limit). */
  maxMessageBytes: number
  /** The most bytes one piece of a large message carries (see Transport.pieceBytes). */
  pieceBytes?: number
  /** Writes to the output; defaults to `output.write` (a guarded stdout passes its real writer). */
  write?: (chunk: Uint8Array) => boolean
  /** Called with a line for stderr. */
  log: (line: string) => void
}

/**
 * Native messaging framing over a pair of byte streams (the host's stdin and stdout).
 */
export class StdioTransport implements Transport {
  readonly kind = 'text' as const
  readonly maxMessageBytes: number
  readonly pieceBytes: number | undefined
  private closed = false
  private sink: TransportSink | null = null
  private readonly writer: FramedWriter

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly opts: StdioTransportOptions,
  ) {
    this.maxMessageBytes = opts.maxMessageBytes
    this.pieceBytes = opts.pieceBytes
    this.writer = new FramedWriter(output, { maxMessageBytes: opts.maxMessageBytes, write: opts.write })
  }

  /** Bytes written but not yet taken by the browser (it stopped reading, or reads slowly). */
  get buffered(): number {
    return this.writer.buffered
  }

  start(sink: TransportSink): void {
    this.sink = sink
    const decoder = jsonFrameDecoder(sink, this.opts.maxFrameIn)
    this.input.on('data', (chunk: Buffer) => {
      if (this.closed) return
      try {
        decoder.push(chunk)
      } catch (e) {
        const message = `input is broken: ${e instanceof Error ? e.message : String(e)}`
        this.opts.log(`nmrpc: ${message}; closing`)
        this.finish(message, 'PROTOCOL_ERROR')
      }
    })
    // `on`, not `once`: finish() acts once anyway, and node's once wrappers are functions a built host's
    // start would compile only for this (callgrind, bench/coldStart.ts).
    // An ended stdin needs no pause: it reads no more.
    this.input.on('end', () =>
      this.finish('the browser closed the connection (stdin ended)', undefined, true),
    )
    this.input.on('close', () => this.finish('the browser closed the connection (stdin closed)'))
    this.input.on('error', (e: Error) => this.finish(`stdin failed: ${e.message}`))
    this.output.on('drain', () => sink.drain())
    let outputFailed = false
    this.output.on('error', (e: Error) => {
      if (outputFailed) return
      outputFailed = true
      // EPIPE: the browser stopped reading (it closed the Port or died). Say so once; then shut down.
      this.opts.log(`nmrpc: stdout failed (${e.message}); the browser is no longer reading, closing`)
      this.finish(`stdout failed: ${e.message}`)
    })
    this.input.resume()
  }

  send(text: string | object, bytes?: number): boolean {
    if (this.closed) return true
    return typeof text === 'string' ? this.writer.send(text, bytes) : this.writer.send(JSON.stringify(text))
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    return this.writer.flush()
  }

  close(): void {
    this.finish('the host closed the connection')
  }

  private finish(message: string, code?: 'PROTOCOL_ERROR', ended = false): void {
    if (this.closed) return
    this.closed = true
    if (!ended) this.input.pause()
    this.sink?.closed(code ? { message, code } : { message })
  }
}
