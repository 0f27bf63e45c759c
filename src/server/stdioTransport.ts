import type { Readable, Writable } from 'node:stream'
import { FrameDecoder, writeLength } from '../shared/frame.js'
import type { Transport, TransportSink } from '../shared/transport.js'

export interface StdioTransportOptions {
  /** Largest frame accepted on input. */
  maxFrameIn: number
  /** Largest frame body this side may write (the browser's 1 MiB limit). */
  maxMessageBytes: number
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
  private closed = false
  private sink: TransportSink | null = null
  private readonly write: (chunk: Uint8Array) => boolean

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly opts: StdioTransportOptions,
  ) {
    this.maxMessageBytes = opts.maxMessageBytes
    this.write = opts.write ?? ((chunk) => output.write(chunk))
  }

  /** Bytes written but not yet taken by the browser (it stopped reading, or reads slowly). */
  get buffered(): number {
    return this.output.writableLength
  }

  start(sink: TransportSink): void {
    this.sink = sink
    const decoder = new FrameDecoder(
      (body) => {
        const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch (e) {
          sink.invalid(`a ${body.byteLength}-byte frame is not JSON (${e instanceof Error ? e.message : e})`)
          return
        }
        sink.message(value)
      },
      { maxFrame: this.opts.maxFrameIn },
    )
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
    this.input.once('end', () => this.finish('the browser closed the connection (stdin ended)'))
    this.input.once('close', () => this.finish('the browser closed the connection (stdin closed)'))
    this.input.once('error', (e: Error) => this.finish(`stdin failed: ${e.message}`))
    this.output.on('drain', () => sink.drain())
    this.output.once('error', (e: Error) => {
      // EPIPE: the browser stopped reading (it closed the Port or died). Say so once; then shut down.
      this.opts.log(`nmrpc: stdout failed (${e.message}); the browser is no longer reading, closing`)
      this.finish(`stdout failed: ${e.message}`)
    })
    this.input.resume()
  }

  send(text: string | object): boolean {
    if (this.closed) return true
    const body = typeof text === 'string' ? text : JSON.stringify(text)
    const size = Buffer.byteLength(body)
    if (size > this.maxMessageBytes)
      throw new RangeError(
        `nmrpc tried to write a ${size}-byte message; browsers drop messages over ${this.maxMessageBytes} bytes. ` +
          "This is a bug in nmrpc's chunking: please report it",
      )
    const frame = Buffer.allocUnsafe(4 + size)
    writeLength(frame, 0, size)
    frame.write(body, 4, 'utf8')
    // No corking here: the session's outbox already sends what one tick produced as one batch.
    return this.write(frame)
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.output.writableLength === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => resolve()
      this.output.once('drain', done)
      this.output.once('error', done)
      this.output.once('close', done)
    })
  }

  close(): void {
    this.finish('the host closed the connection')
  }

  private finish(message: string, code?: 'PROTOCOL_ERROR'): void {
    if (this.closed) return
    this.closed = true
    this.input.pause()
    this.sink?.closed(code ? { message, code } : { message })
  }
}
