/**
 * Native messaging framing: each message is a 4-byte length in the machine's native byte order, then
 * that many bytes of UTF-8 JSON. Pure and incremental: feed it bytes as they come, in any split.
 */

/** True on little-endian machines (every platform browsers ship native messaging on, but we check). */
export const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Pieces of a frame that spans chunks are kept as views of the chunks they came in, and copied once into
 * the frame's buffer when it is complete. Pieces shorter than this are copied into a staging block of
 * `STAGING` bytes instead, so a sender that dribbles a frame a byte at a time cannot make us keep one
 * view object per byte.
 */
const MIN_VIEW = 4 * 1024
const STAGING = 64 * 1024

/**
 * Node's `Buffer.allocUnsafe` when there is one (found on globalThis, never imported: this file must bundle
 * for a service worker). A frame's buffer is written whole before anyone sees it, so it needs no zeroing.
 */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array } }).Buffer
const allocUnsafe = (n: number): Uint8Array => {
  if (!NodeBuffer) return new Uint8Array(n)
  // A plain Uint8Array over the Buffer's own memory: consumers (and tests) see the same type either way.
  const b = NodeBuffer.allocUnsafeSlow(n)
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * Incremental frame decoder. A frame wholly inside one input chunk is handed out as a view (no copy); a
 * frame that spans chunks is kept as the pieces that have arrived (views, small ones staged) and copied
 * once into a buffer of its size when its last byte comes: memory follows what arrived, never what a
 * header promised, and each byte is copied once. (Growing one buffer by doubling copied each byte about
 * twice and zero-filled twice as much: 4 M of a host's 45 M instructions per MiB of a 1 MiB echo.)
 *
 * @example
 * const dec = new FrameDecoder((body) => handle(body), { maxFrame: 64 << 20 })
 * stdin.on('data', (chunk) => dec.push(chunk))
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(4)
  private headerFill = 0
  /** Pieces of the frame being received; null between frames. */
  private pieces: Uint8Array[] | null = null
  private staging: Uint8Array | null = null
  private stagingFill = 0
  private stagedFrom = 0
  private bodyFill = 0
  private bodySize = 0
  private held = 0
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

  /** Bytes held for the frame being received (0 between frames); grows with what has arrived. */
  get allocated(): number {
    return this.held
  }

  /** Bytes of a started frame still buffered (0 between frames). */
  get buffered(): number {
    return this.headerFill + this.bodyFill
  }

  /**
   * Feeds bytes. Calls `onFrame` for each complete frame, in order. Keeps views of `chunk` until the frame
   * they belong to is complete, so a caller must not write into a chunk it pushed (a stream's 'data'
   * chunks are never reused); a body handed out may be a view of `chunk` too.
   * @throws FrameError when a length header exceeds `maxFrame`; the stream is then beyond repair and every
   * later push throws the same error.
   */
  push(chunk: Uint8Array): void {
    if (this.broken) throw this.broken
    let pos = 0
    const len = chunk.length
    while (pos < len) {
      if (this.pieces === null) {
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
        this.bodySize = size
        this.bodyFill = 0
        this.pieces = []
      }
      const take = Math.min(this.bodySize - this.bodyFill, len - pos)
      this.keep(chunk.subarray(pos, pos + take))
      this.bodyFill += take
      pos += take
      if (this.bodyFill === this.bodySize) this.complete()
    }
  }

  private keep(piece: Uint8Array): void {
    if (piece.length >= MIN_VIEW) {
      this.unstage()
      this.pieces!.push(piece)
      this.held += piece.length
      return
    }
    let at = 0
    while (at < piece.length) {
      if (this.staging === null || this.stagingFill === this.staging.length) {
        this.unstage()
        this.staging = new Uint8Array(Math.min(STAGING, this.bodySize))
        this.stagingFill = 0
        this.stagedFrom = 0
        this.held += this.staging.length
      }
      const n = Math.min(piece.length - at, this.staging.length - this.stagingFill)
      this.staging.set(piece.subarray(at, at + n), this.stagingFill)
      this.stagingFill += n
      at += n
    }
  }

  /**
   * Moves what was staged since the last call onto the list of pieces, as a view of the staging block;
   * the block keeps filling after it, so small and large pieces in turn never cost a block each.
   */
  private unstage(): void {
    if (this.staging === null || this.stagingFill === this.stagedFrom) return
    this.pieces!.push(this.staging.subarray(this.stagedFrom, this.stagingFill))
    this.stagedFrom = this.stagingFill
  }

  private complete(): void {
    this.unstage()
    const pieces = this.pieces!
    this.pieces = null
    this.staging = null
    this.bodyFill = 0
    this.held = 0
    let body: Uint8Array
    if (pieces.length === 1) body = pieces[0]!
    else {
      body = allocUnsafe(this.bodySize)
      let at = 0
      for (const p of pieces) {
        body.set(p, at)
        at += p.length
      }
    }
    this.onFrame(body)
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
