/**
 * Native messaging framing written independently of src/shared/frame.ts, so hostile-input tests do not
 * test the decoder with itself: a 4-byte little-endian length (every platform browsers ship on), then the
 * body.
 */

/** A frame around `body` (a string is UTF-8 encoded; bytes are sent as they are, valid UTF-8 or not). */
export function frame(body: string | Uint8Array): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)
  return Buffer.concat([lengthHeader(bytes.length), bytes])
}

/** A frame around `JSON.stringify(value)`. */
export function jsonFrame(value: unknown): Buffer {
  return frame(JSON.stringify(value))
}

/** Just a length header, claiming `n` bytes follow (up to 2^32 - 1). */
export function lengthHeader(n: number): Buffer {
  const h = Buffer.alloc(4)
  h.writeUInt32LE(n >>> 0)
  return h
}

/**
 * Collects frames from a byte stream: `push` chunks as they come, in any split; `bodies` are the raw
 * frame bodies and `envelopes` the parsed messages with batches (JSON arrays) flattened.
 */
export class FrameReader {
  readonly bodies: Buffer[] = []
  readonly envelopes: Array<Record<string, unknown>> = []
  private pending: Buffer = Buffer.alloc(0)
  /** Largest frame body seen, to check the host never wrote past the browser's limit. */
  largest = 0

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    while (this.pending.length >= 4) {
      const size = this.pending.readUInt32LE(0)
      if (this.pending.length < 4 + size) return
      const body = this.pending.subarray(4, 4 + size)
      this.pending = this.pending.subarray(4 + size)
      this.largest = Math.max(this.largest, size)
      this.bodies.push(body)
      const value: unknown = JSON.parse(body.toString('utf8'))
      for (const v of Array.isArray(value) ? value : [value])
        this.envelopes.push(v as Record<string, unknown>)
    }
  }
}
