/**
 * Native messaging framing: each message is a 4-byte length in the machine's native byte order, then
 * that many bytes of UTF-8 JSON. Pure and incremental: feed it bytes as they come, in any split.
 */

/** True on little-endian machines (every platform browsers ship native messaging on, but we check). */
export const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** First allocation for a frame that spans chunks; it grows by doubling up to the frame's size. */
const INITIAL_BODY = 64 * 1024

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * Incremental frame decoder. A frame wholly inside one input chunk is handed out as a view (no copy); a
 * frame that spans chunks is copied once into a buffer allocated only after its length was checked.
 *
 * @example
 * const dec = new FrameDecoder((body) => handle(body), { maxFrame: 64 << 20 })
 * stdin.on('data', (chunk) => dec.push(chunk))
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(4)
  private headerFill = 0
  private body: Uint8Array | null = null
  private bodyFill = 0
  private bodySize = 0
  private broken: FrameError | null = null
  private readonly maxFrame: number
  private readonly littleEndian: boolean

  constructor(
    private readonly onFrame: (body: Uint8Array) => void,
    options: { maxFrame: number; littleEndian?: boolean },
  ) {
    this.maxFrame = options.maxFrame
    this.littleEndian = options.littleEndian ?? NATIVE_LITTLE_ENDIAN
  }

  /** Bytes allocated for the frame being received (0 between frames); grows with what has arrived. */
  get allocated(): number {
    return this.body?.length ?? 0
  }

  /** Bytes of a started frame still buffered (0 between frames). */
  get buffered(): number {
    return this.headerFill + this.bodyFill
  }

  /**
   * Feeds bytes. Calls `onFrame` for each complete frame, in order.
   * @throws FrameError when a length header exceeds `maxFrame`; the stream is then beyond repair and every
   * later push throws the same error.
   */
  push(chunk: Uint8Array): void {
    if (this.broken) throw this.broken
    let pos = 0
    const len = chunk.length
    while (pos < len) {
      if (this.body === null) {
        // Fast path: a whole header in this chunk.
        let size: number
        if (this.headerFill === 0 && len - pos >= 4) {
          size = this.readLength(chunk, pos)
          pos += 4
        } else {
          const take = Math.min(4 - this.headerFill, len - pos)
          this.header.set(chunk.subarray(pos, pos + take), this.headerFill)
          this.headerFill += take
          pos += take
          if (this.headerFill < 4) return
          this.headerFill = 0
          size = this.readLength(this.header, 0)
        }
        if (size > this.maxFrame) {
          this.broken = new FrameError(
            `frame length header says ${size} bytes, over the limit of ${this.maxFrame} bytes; ` +
              'the stream is not native-messaging framing (or the sender is broken) and cannot be resynchronised',
          )
          throw this.broken
        }
        if (len - pos >= size) {
          const body = chunk.subarray(pos, pos + size)
          pos += size
          this.onFrame(body)
          continue
        }
        // Allocate for what has arrived, not for what the header promises, and grow by doubling (linear
        // copying overall): a sender that announces 64 MiB and stalls costs what it actually sent.
        this.bodySize = size
        this.body = new Uint8Array(Math.min(size, Math.max(INITIAL_BODY, len - pos)))
        this.bodyFill = 0
      }
      const take = Math.min(this.bodySize - this.bodyFill, len - pos)
      if (this.bodyFill + take > this.body.length) {
        const grown = new Uint8Array(
          Math.min(this.bodySize, Math.max(this.body.length * 2, this.bodyFill + take)),
        )
        grown.set(this.body.subarray(0, this.bodyFill))
        this.body = grown
      }
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill)
      this.bodyFill += take
      pos += take
      if (this.bodyFill === this.bodySize) {
        const body = this.body
        this.body = null
        this.bodyFill = 0
        this.onFrame(body)
      }
    }
  }

  private readLength(bytes: Uint8Array, at: number): number {
    const b0 = bytes[at]!
    const b1 = bytes[at + 1]!
    const b2 = bytes[at + 2]!
    const b3 = bytes[at + 3]!
    return this.littleEndian
      ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
      : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0
  }
}

/** Writes the 4-byte native-order length header for a body of `size` bytes into `target` at `at`. */
export function writeLength(
  target: Uint8Array,
  at: number,
  size: number,
  littleEndian = NATIVE_LITTLE_ENDIAN,
) {
  if (littleEndian) {
    target[at] = size & 0xff
    target[at + 1] = (size >>> 8) & 0xff
    target[at + 2] = (size >>> 16) & 0xff
    target[at + 3] = (size >>> 24) & 0xff
  } else {
    target[at] = (size >>> 24) & 0xff
    target[at + 1] = (size >>> 16) & 0xff
    target[at + 2] = (size >>> 8) & 0xff
    target[at + 3] = size & 0xff
  }
}
