import { CHUNK_OVERHEAD, cutPieces, jsonSizeBound, type Piece } from './chunker.js'
import type { Envelope } from './protocol.js'
import type { Transport } from './transport.js'

interface BulkJob {
  k: number
  head: string
  pieces: Generator<Piece>
  current: IteratorResult<Piece>
  done: () => void
}

/**
 * The one way out of a session. Small envelopes are batched per tick and go straight to the transport; an
 * envelope over the transport's size limit becomes a chunk series, sent one piece at a time and round-robin
 * with other series, so a 100 MiB result does not hold up a small reply queued behind it.
 */
export class Outbox {
  private writable = true
  private bulk: BulkJob[] = []
  private pumping = false
  private chunkSeq = 0
  private drainWaiters: Array<() => void> = []
  private closed = false
  private batch: Array<string | object> = []
  private batchBytes = 2
  private flushQueued = false
  private readonly flushTask = () => {
    this.flushQueued = false
    this.flush()
  }

  constructor(
    private readonly transport: Transport,
    private readonly byteLength: (s: string) => number,
  ) {}

  /** True while the transport takes more without waiting. */
  get ready(): boolean {
    return this.writable && !this.closed
  }

  /**
   * Sends `env`. Returns a promise only when the envelope had to be chunked: it settles once the last piece
   * is handed to the transport, so a stream producer can keep its items in order.
   */
  send(env: Envelope): Promise<void> | undefined {
    if (this.closed) return undefined
    const t = this.transport
    const limit = t.maxMessageBytes
    if (t.kind === 'text') {
      const text = JSON.stringify(env)
      // UTF-8 is at most 3 bytes per UTF-16 unit, so short texts need no exact count.
      // UTF-8 needs at least one byte per UTF-16 unit: a text longer than the limit is chunked uncounted.
      if (text.length > limit) return this.chunk(env, text)
      let size = text.length * 3
      if (size > limit) {
        size = this.byteLength(text)
        if (size > limit) return this.chunk(env, text)
      }
      this.enqueue(text, size)
      return undefined
    }
    let size = jsonSizeBound(env, limit)
    if (size > limit) {
      const text = JSON.stringify(env)
      if (text.length > limit) return this.chunk(env, text)
      size = this.byteLength(text)
      if (size > limit) return this.chunk(env, text)
    }
    this.enqueue(env, size)
    return undefined
  }

  /**
   * Envelopes sent in the same tick leave as one message (a JSON array: a batch), up to the size limit:
   * one frame, one parse and one event for many small calls instead of one each.
   */
  private enqueue(item: string | object, size: number): void {
    if (this.batch.length > 0 && this.batchBytes + size + 1 > this.transport.maxMessageBytes) this.flush()
    this.batch.push(item)
    this.batchBytes += size + 1
    if (!this.flushQueued) {
      this.flushQueued = true
      queueMicrotask(this.flushTask)
    }
  }

  /** Hands the batch to the transport now. */
  flush(): void {
    const b = this.batch
    if (b.length === 0) return
    this.batch = []
    this.batchBytes = 2 // the brackets
    if (b.length === 1) this.write(b[0]!)
    else this.write(this.transport.kind === 'text' ? `[${b.join(',')}]` : b)
  }

  /** Resolves when the transport can take more (at once if it can). */
  whenReady(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  drained(): void {
    this.writable = true
    const ws = this.drainWaiters
    this.drainWaiters = []
    for (const w of ws) w()
    this.pump()
  }

  close(): void {
    this.flush()
    this.closed = true
    for (const job of this.bulk) job.done()
    this.bulk = []
    this.drained()
  }

  private write(message: string | object): void {
    if (!this.transport.send(message)) this.writable = false
  }

  private chunk(env: Envelope, text: string): Promise<void> {
    this.flush() // what was sent before goes before the pieces
    const k = ++this.chunkSeq
    const e = env as { id?: number; s?: number }
    // The fixed part of each piece; `of`, `id` and `s` let the receiver fail just this call if it refuses.
    let head = `{"t":"chunk","k":${k},"of":"${env.t}"`
    if (e.id !== undefined) head += `,"id":${e.id}`
    if (e.s !== undefined) head += `,"s":${e.s}`
    const pieces = cutPieces(text, this.transport.maxMessageBytes, this.byteLength)
    return new Promise((done) => {
      this.bulk.push({ k, head, pieces, current: pieces.next(), done })
      this.pump()
    })
  }

  private pump(): void {
    if (this.pumping) return
    this.pumping = true
    this.flush()
    try {
      while (this.writable && !this.closed && this.bulk.length > 0) {
        const job = this.bulk.shift()!
        const piece = job.current.value as Piece
        job.current = job.pieces.next()
        const last = job.current.done === true
        if (this.transport.kind === 'text') {
          this.write(`${job.head},"d":${piece.quoted}${last ? ',"end":1}' : '}'}`)
        } else {
          const obj = JSON.parse(`${job.head}}`) as Record<string, unknown>
          obj.d = piece.text
          if (last) obj.end = 1
          this.write(obj)
        }
        if (last) job.done()
        else this.bulk.push(job)
      }
    } finally {
      this.pumping = false
    }
  }
}

export { CHUNK_OVERHEAD }
