import { endianness } from 'node:os'

/** Browsers write the length in the machine's own byte order (Chromium and Firefox both do). */
const LITTLE = endianness() === 'LE'

/** Size of the length prefix in front of every frame. */
export const HEADER_BYTES = 4

/** The largest body a browser accepts from a host: Chromium and Firefox close the Port above it. */
export const BROWSER_INBOUND_LIMIT = 1024 * 1024

/**
 * Encodes one JSON text as a browser native-messaging frame: a 4-byte native-endian length and the UTF-8
 * body, in one buffer so that it goes out in one write.
 *
 * @example
 * socket.write(encodeFrame(JSON.stringify({ id: 1, r: 3 })))
 */
export function encodeFrame(json: string): Buffer {
  const length = Buffer.byteLength(json)
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length)
  if (LITTLE) frame.writeUInt32LE(length, 0)
  else frame.writeUInt32BE(length, 0)
  frame.write(json, HEADER_BYTES, length, 'utf8')
  return frame
}

/**
 * An incremental frame decoder: push bytes as they arrive, get one callback per whole body. A body that
 * sits in one chunk is decoded in place; a body spread over chunks is copied once into a buffer of its
 * exact size (never a concat per chunk, which is quadratic on large frames). It also records the largest
 * body it saw, so the harness can tell which contender broke the browser's 1 MiB rule.
 *
 * @example
 * const reader = new FrameReader((body) => handle(JSON.parse(body)))
 * socket.on('data', (chunk: Buffer) => reader.push(chunk))
 */
export class FrameReader {
  /** Largest body length seen so far, in bytes. */
  maxBody = 0
  private chunks: Buffer[] = []
  private first = 0
  private offset = 0
  private buffered = 0
  private need = -1

  constructor(private readonly onFrame: (body: string) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < HEADER_BYTES) return
        const header = this.take(HEADER_BYTES)
        this.need = LITTLE ? header.readUInt32LE(0) : header.readUInt32BE(0)
        if (this.need > this.maxBody) this.maxBody = this.need
      }
      if (this.buffered < this.need) return
      const body = this.take(this.need)
      this.need = -1
      this.onFrame(body.toString('utf8'))
    }
  }

  private take(n: number): Buffer {
    this.buffered -= n
    const head = this.chunks[this.first]!
    if (head.length - this.offset >= n) {
      const out = head.subarray(this.offset, this.offset + n)
      this.advance(n, head.length)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[this.first]!
      const count = Math.min(chunk.length - this.offset, n - filled)
      chunk.copy(out, filled, this.offset, this.offset + count)
      filled += count
      this.advance(count, chunk.length)
    }
    return out
  }

  private advance(count: number, chunkLength: number): void {
    this.offset += count
    if (this.offset < chunkLength) return
    this.offset = 0
    this.first++
    // Drop consumed chunks in batches: shifting one by one is quadratic while a large body queues up.
    if (this.first === this.chunks.length) {
      this.chunks = []
      this.first = 0
    } else if (this.first > 1024) {
      this.chunks = this.chunks.slice(this.first)
      this.first = 0
    }
  }
}

/**
 * Watches a Content-Length framed byte stream (vscode-jsonrpc's own framing) without decoding it, to
 * learn the largest message body, so vscode-jsonrpc is held to the same 1 MiB rule as the others.
 * It only parses headers and skips bodies by count, so it adds next to nothing to the measured path.
 *
 * @example
 * const sizes = new ContentLengthWatcher()
 * socket.on('data', (chunk: Buffer) => sizes.push(chunk))
 */
export class ContentLengthWatcher {
  maxBody = 0
  private skip = 0
  private header = ''

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      if (this.skip > 0) {
        const count = Math.min(this.skip, chunk.length - at)
        this.skip -= count
        at += count
        continue
      }
      // Headers are short; look at what is kept from the last chunk plus the start of this one, so a
      // delimiter split across two chunks is still found.
      const window = this.header + chunk.toString('latin1', at, Math.min(chunk.length, at + 256))
      const end = window.indexOf('\r\n\r\n')
      if (end < 0) {
        this.header = window
        at = Math.min(chunk.length, at + 256)
        continue
      }
      at += end + 4 - this.header.length
      this.header = window.slice(0, end)
      const match = /Content-Length: *(\d+)/i.exec(this.header)
      this.header = ''
      this.skip = match ? Number(match[1]) : 0
      if (this.skip > this.maxBody) this.maxBody = this.skip
    }
  }
}
