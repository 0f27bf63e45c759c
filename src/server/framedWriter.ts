import type { Writable } from 'node:stream'
import { FrameDecoder, writeLength } from '../shared/frame.js'
import type { TransportSink } from '../shared/transport.js'

export interface FramedWriterOptions {
  /** Largest frame body this side may write (the browser's 1 MiB limit; the relay copies bytes on). */
  maxMessageBytes: number
  /** Writes one frame; defaults to `output.write` (a guarded stdout passes its real writer). */
  write?: (chunk: Uint8Array) => boolean
}

/**
 * The one writer of native messaging frames (4-byte length + UTF-8 JSON) that both server transports use:
 * stdio under `listen()`, the relay's socket under `serve()`. It frames, refuses a body over the browser's
 * limit, hands back the stream's backpressure (false: wait for `drain`), says how many bytes are still
 * unsent (the session counts them in its budget as `unsent`), and flushes on close.
 *
 * Queueing is the stream's own: Node's writable buffer is the queue, so `buffered` is its length and a
 * peer that stops reading shows up there. Dropping what belongs to ended calls happens one step earlier,
 * in the session's outbox, which knows calls; once a frame is here it is already whole bytes on their way.
 *
 * @example
 * const writer = new FramedWriter(process.stdout, { maxMessageBytes: 1024 * 1024 })
 * if (!writer.send('{"t":"hello","v":1}')) process.stdout.once('drain', more)
 * await writer.flush()
 */
export class FramedWriter {
  private readonly write: (chunk: Uint8Array) => boolean

  constructor(
    private readonly output: Writable,
    private readonly opts: FramedWriterOptions,
  ) {
    this.write = opts.write ?? ((chunk) => output.write(chunk))
  }

  /** Bytes written but not yet taken by the peer (it stopped reading, or reads slowly). */
  get buffered(): number {
    return this.output.writableLength
  }

  /** Whether writing is pointless: the output is gone. */
  get gone(): boolean {
    return this.output.destroyed
  }

  /**
   * Frames and writes one message body. Returns false when the output's buffer is past its high-water mark
   * (the caller should wait for `drain` before bulk data). Throws a RangeError for a body over the limit:
   * that is a chunking bug, and writing it would make the browser close the Port.
   *
   * `bytes`: the body's UTF-8 length, when the caller counted it already (the outbox does for the pieces
   * of a large message). It is not trusted: the body is encoded into room for `bytes` plus 4, and any
   * other count than `bytes` (a wrong claim) falls back to counting. Counting again cost a host about
   * 1.6 M instructions per MiB of a 1 MiB echo (callgrind).
   */
  send(body: string, bytes?: number): boolean {
    if (bytes !== undefined && bytes <= this.opts.maxMessageBytes) {
      // A longer body puts at least one more character (at most 4 bytes) into the 4 spare bytes.
      const room = Buffer.allocUnsafe(4 + bytes + 4)
      if (room.write(body, 4, 'utf8') === bytes) {
        writeLength(room, 0, bytes)
        return this.write(room.subarray(0, 4 + bytes))
      }
    }
    const size = Buffer.byteLength(body)
    if (size > this.opts.maxMessageBytes)
      throw new RangeError(
        `nmrpc tried to write a ${size}-byte message; browsers drop messages over ${this.opts.maxMessageBytes} bytes. ` +
          "This is a bug in nmrpc's chunking: please report it",
      )
    // One buffer per frame (header and body together), so one message is one write and, unbuffered,
    // one syscall. No corking here: the session's outbox already sends what one tick produced as one batch.
    const frame = Buffer.allocUnsafe(4 + size)
    writeLength(frame, 0, size)
    frame.write(body, 4, 'utf8')
    return this.write(frame)
  }

  /** Resolves once everything written so far has been handed to the OS, or the output is gone. */
  flush(): Promise<void> {
    const out = this.output
    if (out.writableLength === 0 || out.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        out.off('drain', done)
        out.off('error', done)
        out.off('close', done)
        resolve()
      }
      out.once('drain', done)
      out.once('error', done)
      out.once('close', done)
    })
  }
}

/**
 * The read side both server transports share: a frame decoder whose bodies are parsed as JSON and handed to
 * the sink, a body that is not JSON reported as `invalid` (the stream stays intact).
 *
 * @example
 * const decoder = jsonFrameDecoder(sink, DEFAULT_MAX_FRAME_IN)
 * input.on('data', (chunk) => decoder.push(chunk))
 */
export function jsonFrameDecoder(sink: TransportSink, maxFrame: number): FrameDecoder {
  return new FrameDecoder(
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
    { maxFrame },
  )
}
