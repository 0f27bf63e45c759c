import { encodeBase64 } from './base64.js'
import { blobKey } from './blobs.js'
import { CHUNK_OVERHEAD, type CutOptions, cutPieces, jsonSizeBound } from './chunker.js'
import { BROWSER_OUTBOUND_LIMIT } from './limits.js'
import type { Envelope } from './protocol.js'
import { holdsLargeString, takeStrings } from './stringParts.js'
import type { Transport } from './transport.js'

/**
 * Bytes per binary slice. Its base64 (64 KiB) stays below V8's large-object size, so each slice's string
 * dies young and is freed by a cheap scavenge instead of piling up until a full collection.
 */
const BIN_SLICE = 48 * 1024

/**
 * An envelope this large (in bytes) is not batched: it is written at once as its own message, after what
 * was batched before it, so it is not copied once more into a joined batch text (a host answering 64 calls
 * of 256 KiB spent 8% less CPU per call), and a stream producer learns at once whether that item filled
 * the transport (see {@link Outbox.mayRunAhead}). Node's default high-water mark for a pipe: one such
 * envelope fills it.
 */
export const BATCH_FLUSH_BYTES = 16 * 1024

/**
 * How many bytes of pieces one large transfer sends before the next one gets its turn. Transfers up to this
 * size go whole, one after another, so that the peer can start on the first while the rest are sent
 * (sharing turns piece by piece made 64 calls of 256 KiB all arrive at the very end); larger ones take
 * turns, so that a 100 MiB result holds up a smaller transfer by at most this much at a time.
 */
export const BULK_TURN_BYTES = 1024 * 1024

/**
 * The most bytes (an object transport: string units) one `chunk` or `str` piece carries by default,
 * whatever the message limit (a transport may say otherwise: {@link Transport.pieceBytes}): a piece of a
 * pipe's size (64 KiB) is read in one go and parsed while the next is in the pipe, and its string dies
 * young in V8. Pieces of the whole 1 MiB limit made the receiver gather each from 16 reads and parse it
 * only after its last byte, while the sender waited: a 1 MiB string echo between Node processes went from
 * 0.84x to 1.4x raw framing with 64 KiB pieces (bench/ab.ts, 15 repetitions; 32-87 KiB within 5%), and a
 * 10 MiB result in Chromium from 273 to 201-213 ms.
 */
export const PIECE_BYTES = 64 * 1024

/**
 * The largest limit an object transport's messages are measured against, in string units: a sixth of the
 * most Chromium sends to a host in one message (64 MiB), since each unit takes at most 6 bytes of JSON.
 */
export const OBJECT_LIMIT_CAP = Math.floor(BROWSER_OUTBOUND_LIMIT / 6)

/**
 * A message whose UTF-8 length the outbox knows, having counted it while cutting the piece: handed to the
 * transport with it, so that a framing transport does not count it again.
 */
class Counted {
  constructor(
    readonly text: string,
    readonly bytes: number,
  ) {}
}

/** A large transfer: messages made one at a time, as the transport can take them. */
interface BulkJob {
  messages: Iterator<string | object | Counted>
  done: () => void
  /** Names the job so that it can be cancelled (binary parts of a call that ended). */
  key: string | undefined
}

/**
 * The one way out of a session. Small envelopes are batched per tick and go straight to the transport (one
 * of 16 KiB or more on its own, at once); an envelope over the transport's size limit
 * becomes a series of pieces, sent as the transport can take them, each series keeping its turn for up to
 * 1 MiB before the next, so a 100 MiB result does not hold up a small reply or a smaller transfer.
 */
export class Outbox {
  private writable = true
  private bulk: BulkJob[] = []
  private pumping = false
  /** Bytes the first bulk job has sent in its current turn (see {@link BULK_TURN_BYTES}). */
  private turnBytes = 0
  /** The last envelope sent was large and its write was the one that filled the transport (see {@link mayRunAhead}). */
  private filledByLarge = false
  private chunkSeq = 0
  private drainWaiters: Array<() => void> = []
  private closed = false
  private batch: Array<string | object> = []
  private batchBytes = 2
  /** Every size in the batch is an exact count (not the 3-bytes-per-unit bound). */
  private batchExact = true
  private flushQueued = false
  /**
   * The peer's hello listed feature `str`: an envelope over the limit sends its large strings first as
   * `str` pieces (stringified once, parsed once at the other end) instead of chunking its whole text.
   */
  stringParts = false
  /**
   * The length from which a payload string may not fit the limit: over limit/3 units (UTF-8 is at most 3
   * bytes a unit), and at least a string part's 1024 (`minStringLength` is at most limit/8). Worked out
   * once: the transport's limit does not change.
   */
  private readonly largeFrom: number
  /**
   * The size limit as this outbox measures: a text transport's messages in UTF-8 bytes (exact); an object
   * transport's (a browser Port, which serialises what it is given) without stringifying them, each string
   * unit counted once ({@link jsonSizeBound} with unit 1), so that what fits in characters goes whole. Its
   * real size is then at most 6 times that (a `\u00XX` escape per unit; non-ASCII text at most 3), so the
   * limit is capped at a sixth of what Chromium sends to a host at most ({@link OBJECT_LIMIT_CAP}).
   */
  private readonly limit: number
  /** The most one piece of a `chunk` or `str` series carries: the limit, or the transport's piece size if less. */
  private readonly pieceLimit: number
  private readonly flushTask = () => {
    this.flushQueued = false
    this.flush()
  }

  constructor(
    private readonly transport: Transport,
    private readonly byteLength: (s: string) => number,
    /** Called after a write the transport could not take at once (the peer is slow or stopped reading). */
    private readonly onBackpressure: () => void = () => {},
  ) {
    this.largeFrom = Math.max(1024, Math.floor(transport.maxMessageBytes / 3) + 1)
    this.limit =
      transport.kind === 'text'
        ? transport.maxMessageBytes
        : Math.min(transport.maxMessageBytes, OBJECT_LIMIT_CAP)
    this.pieceLimit = Math.min(this.limit, transport.pieceBytes ?? PIECE_BYTES)
  }

  /** True while the transport takes more without waiting. */
  get ready(): boolean {
    return this.writable && !this.closed
  }

  /**
   * Sends `env`. Returns a promise only when the envelope had to be chunked: it settles once the last piece
   * is handed to the transport, so a stream producer can keep its items in order. `key` names the call
   * the envelope belongs to, so that `cancel(key)` stops its pieces once that call ended; by default (or
   * `'own'`) `blobKey(env.t, env.id, env.s)`, made only when the envelope goes out in pieces, so that a
   * small envelope builds no key string. `alone`: the sender expects nothing else this tick (a client's
   * only call in flight), so a small envelope is written at once when nothing waits to be batched, instead
   * of at the end of the tick. `bound`: an upper bound of the envelope's JSON size in bytes that the sender
   * already knows, so that an object transport need not walk the envelope for one (see {@link jsonSizeBound}).
   */
  send(env: Envelope, key?: string, alone?: boolean, bound?: number): Promise<void> | undefined {
    if (this.closed) return undefined
    const t = this.transport
    const limit = this.limit
    if (t.kind === 'text') {
      // A text transport stringifies every envelope anyway, so its length is the cheap test: only an
      // envelope that does not fit looks for large strings. Bounding every envelope first cost a host 5%
      // more instructions per small call (callgrind, 2,000 calls). A payload that is (or directly holds)
      // a string that may not fit (over limit/3: UTF-8 is at most 3 bytes per unit) goes straight to
      // string parts: stringifying the whole envelope first would quote that string twice (callgrind:
      // two full stringifies per 1 MiB echo on the host).
      if (this.stringParts && holdsLargeString(env, this.largeFrom)) {
        const split = this.sendStrings(env, key)
        if (split) return split
      }
      const text = JSON.stringify(env)
      // UTF-8 is at most 3 bytes per UTF-16 unit, so short texts need no exact count; and at least one
      // byte per unit, so a text longer than the limit does not fit. Only a text that does not fit looks
      // for large strings, once: searching every text over limit/3 walked envelopes that fit anyway (or
      // held no large string), and then sent them whole.
      if (text.length <= limit) {
        let size = text.length * 3
        if (size <= limit) {
          this.enqueue(text, size, false, alone)
          return undefined
        }
        size = this.byteLength(text)
        if (size <= limit) {
          this.enqueue(text, size, true, alone)
          return undefined
        }
      }
      if (this.stringParts) {
        const split = this.sendStrings(env, key)
        if (split) return split
      }
      return this.chunk(env, text, key)
    }
    // Measured in string units (see `limit`), by a walk that stops at the limit: no stringify. Only an
    // envelope that may not fit looks for large strings. (Counting 6 bytes a unit, the worst case, sent a
    // 256 KiB string as three Port messages, where every peer sends one: bench/RESULTS.md.)
    let size = bound ?? jsonSizeBound(env, limit, 1)
    if (this.stringParts && size > limit) {
      const split = this.sendStrings(env, key)
      if (split) return split
    }
    if (size > limit) {
      const text = JSON.stringify(env)
      if (text.length > limit) return this.chunk(env, text, key)
      size = text.length
    }
    this.enqueue(env, size, false, alone)
    return undefined
  }

  /** The length from which a string leaves its envelope as `str` parts (limit/8, at least 1024 units). */
  private minStringLength(): number {
    return Math.max(1024, Math.floor(this.transport.maxMessageBytes / 8))
  }

  /** Sends `env`'s large strings as `str` parts, then the envelope; undefined when it has none. */
  private sendStrings(env: Envelope, key: string | undefined): Promise<void> | undefined {
    const split = takeStrings(env, this.minStringLength())
    if (!split) return undefined
    key = ownKey(env, key)
    this.flush() // what was sent before goes before the pieces
    const refs = split.strings.map((x) => [++this.chunkSeq, ...x.path] as [number, ...Array<string | number>])
    ;(split.head as { u?: unknown }).u = refs
    const e = env as { id?: number; s?: number }
    return this.enqueueBulk(this.splitMessages(env.t, e.id, e.s, split, refs), key)
  }

  /**
   * Envelopes sent in the same tick leave as one message (a JSON array: a batch), up to the size limit:
   * one frame, one parse and one event for many small calls instead of one each. An envelope of
   * {@link BATCH_FLUSH_BYTES} or more goes on its own, at once.
   */
  private enqueue(item: string | object, size: number, exact: boolean, alone: boolean | undefined): void {
    this.filledByLarge = false
    // Nothing to batch it with, and nothing expected: no microtask, no batch array, one write now.
    if (alone === true && this.batch.length === 0) {
      this.write(item, exact ? size : undefined)
      return
    }
    // Large: its own message, now, after what was batched before it (see BATCH_FLUSH_BYTES). Judged by a
    // size it has at least: a text's length (a byte or more per unit), an object's size in string units.
    if ((typeof item === 'string' ? item.length : size) >= BATCH_FLUSH_BYTES) {
      this.flush()
      const was = this.writable
      this.write(item, exact ? size : undefined)
      this.filledByLarge = was && !this.writable
      return
    }
    if (this.batch.length > 0 && this.batchBytes + size + 1 > this.limit) this.flush()
    this.batch.push(item)
    this.batchBytes += size + 1
    if (!exact) this.batchExact = false
    if (!this.flushQueued) {
      this.flushQueued = true
      // A promise job, not queueMicrotask: node wraps each of those in an AsyncResource, whose functions a
      // built host's start would compile for this one call (0.6 M instructions: bench/coldStart.ts).
      void Promise.resolve().then(this.flushTask)
    }
  }

  /** Hands the batch to the transport now. */
  flush(): void {
    const b = this.batch
    if (b.length === 0) return
    // Exact sizes add up to the batch's own: `[`, the items, a comma between each two, `]`.
    const bytes = this.batchExact ? this.batchBytes - (b.length === 1 ? 3 : 1) : undefined
    this.batch = []
    this.batchBytes = 2 // the brackets
    this.batchExact = true
    if (b.length === 1) this.write(b[0]!, bytes)
    else if (this.transport.kind === 'text') this.write(`[${b.join(',')}]`, bytes)
    else this.write(b)
  }

  /**
   * Whether a stream producer may make one more item although the transport said wait: its last item was
   * large and the write of it was the one that filled the transport. The next item then waits in the
   * transport's own queue while the pipe takes this one, so the pipe never waits for the producer; the one
   * after waits for the drain. (Writing one item per drain kept a small reply 0.58x as long behind a
   * stream, but made the 64 MiB stream 8-14% slower: see bench/PACING.md.)
   */
  get mayRunAhead(): boolean {
    return this.filledByLarge && !this.closed
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

  private write(message: string | object, bytes?: number): void {
    if (!this.transport.send(message, bytes)) {
      this.writable = false
      this.onBackpressure()
    }
  }

  private chunk(env: Envelope, text: string, key: string | undefined): Promise<void> {
    key = ownKey(env, key)
    this.flush() // what was sent before goes before the pieces
    const k = ++this.chunkSeq
    const e = env as { id?: number; s?: number }
    return this.enqueueBulk(this.chunkMessages(k, env.t, e.id, e.s, text), key)
  }

  private *chunkMessages(
    k: number,
    of: string,
    id: number | undefined,
    s: number | undefined,
    text: string,
  ): Generator<string | object | Counted> {
    // `text` is JSON.stringify's output, so pieces are quoted by escaping `"` and `\` alone (see cutPieces).
    yield* this.pieceMessages('chunk', k, of, id, s, text, { jsonText: true })
  }

  /** The `str` pieces of each string taken out of an envelope, then the envelope (chunked if still too large). */
  private *splitMessages(
    of: string,
    id: number | undefined,
    s: number | undefined,
    split: { head: Envelope; strings: Array<{ text: string }> },
    refs: Array<[number, ...Array<string | number>]>,
  ): Generator<string | object | Counted> {
    for (let i = 0; i < refs.length; i++)
      yield* this.pieceMessages('str', refs[i]![0], of, id, s, split.strings[i]!.text, {})
    const head = split.head
    const limit = this.limit
    const asText = this.transport.kind === 'text'
    if (!asText && jsonSizeBound(head, limit, 1) <= limit) {
      yield head
      return
    }
    const text = JSON.stringify(head)
    // An object transport measures in units (see `limit`), a text transport in bytes.
    const size = text.length > limit ? Number.POSITIVE_INFINITY : asText ? this.byteLength(text) : text.length
    if (size <= limit) yield asText ? new Counted(text, size) : head
    else yield* this.chunkMessages(++this.chunkSeq, of, id, s, text)
  }

  /**
   * The pieces of `text` as `chunk` or `str` envelopes, each within the limit and the piece size, one
   * head for both: `of`, `id` and `s` let the
   * receiver tie each piece to its call (and fail or drop just that call). A text transport gets each
   * piece quoted once while it is measured (the measurement is the text sent). An object transport
   * stringifies what it is given, so measuring would stringify twice: its `str` pieces are cut by string
   * units (see `limit`); its `chunk` pieces (cut from JSON text, whose escapes are already
   * written out) are measured in bytes and handed over unquoted.
   */
  private *pieceMessages(
    t: 'chunk' | 'str',
    k: number,
    of: string,
    id: number | undefined,
    s: number | undefined,
    text: string,
    cut: CutOptions,
  ): Generator<string | object | Counted> {
    const limit = this.pieceLimit
    const asText = this.transport.kind === 'text'
    if (asText || t === 'chunk') {
      const head = pieceHead(t, k, of, id, s)
      const pieces = cutPieces(text, limit, this.byteLength, cut)
      let current = pieces.next()
      while (!current.done) {
        const next = pieces.next()
        const last = next.done === true
        if (asText) {
          // All but the quoted piece is ASCII: its length is its UTF-8 size.
          const text = `${head},"d":${current.value.quoted}${last ? ',"end":1}' : '}'}`
          yield new Counted(text, text.length - current.value.quoted.length + current.value.bytes)
        } else yield pieceObject(t, k, of, id, s, current.value.text, last)
        current = next
      }
      return
    }
    const step = Math.max(2, limit - CHUNK_OVERHEAD - 2)
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + step)
      // Never cut between the halves of a surrogate pair: each piece stays well-formed UTF-16.
      const c = text.charCodeAt(end - 1)
      if (end < text.length && c >= 0xd800 && c <= 0xdbff) end--
      yield pieceObject(t, k, of, id, s, text.slice(at, end), end >= text.length)
      at = end
    }
  }

  /**
   * Sends `env`, then its binary parts as `bin` pieces, each base64-encoded only when the transport can
   * take it, so a large binary value is never held as one big string. Settles after the last piece.
   * `key` lets `cancel(key)` stop the parts of a call that ended (by default, as for {@link send}).
   */
  sendWithBlobs(
    env: Envelope & { id: number; s?: number },
    blobs: Uint8Array[],
    key: string = ownKey(env, undefined)!,
  ): Promise<void> {
    const sent = this.send(env, key)
    const parts = () => this.enqueueBulk(this.binMessages(env, blobs), key)
    return sent ? sent.then(parts) : parts()
  }

  private *binMessages(
    env: Envelope & { id: number; s?: number },
    blobs: Uint8Array[],
  ): Generator<string | object | Counted> {
    // Base64 of `step` bytes fits the limit with the envelope around it; a multiple of 3 keeps pieces padding-free.
    const step = Math.min(BIN_SLICE, Math.floor((this.limit - CHUNK_OVERHEAD) / 4) * 3)
    const s = env.s === undefined ? '' : `,"s":${env.s}`
    for (let i = 0; i < blobs.length; i++) {
      const blob = blobs[i]!
      for (let at = 0; at === 0 || at < blob.length; at += step) {
        const d = encodeBase64(blob.subarray(at, at + step))
        const end = at + step >= blob.length
        if (this.transport.kind === 'text') {
          const text = `{"t":"bin","of":"${env.t}","id":${env.id}${s},"i":${i},"d":"${d}"${end ? ',"end":1' : ''}}`
          yield new Counted(text, text.length) // base64 and ASCII around it
        } else {
          const obj: Record<string, unknown> = { t: 'bin', of: env.t, id: env.id, i, d }
          if (env.s !== undefined) obj.s = env.s
          if (end) obj.end = 1
          yield obj
        }
      }
    }
  }

  /** Stops the bulk transfers named `key` (their promises settle); what was sent stays sent. */
  cancel(key: string): void {
    if (this.bulk.length === 0) return
    const keep: BulkJob[] = []
    if (this.bulk[0]!.key === key) this.turnBytes = 0
    for (const job of this.bulk) {
      if (job.key === key) job.done()
      else keep.push(job)
    }
    this.bulk = keep
  }

  private enqueueBulk(messages: Iterator<string | object | Counted>, key: string | undefined): Promise<void> {
    return new Promise((done) => {
      this.bulk.push({ messages, done, key })
      this.pump()
    })
  }

  private pump(): void {
    if (this.pumping) return
    this.pumping = true
    this.flush()
    try {
      while (this.writable && !this.closed && this.bulk.length > 0) {
        const job = this.bulk[0]!
        const r = job.messages.next()
        if (r.done) {
          this.bulk.shift()
          this.turnBytes = 0
          job.done()
          continue
        }
        const m = r.value
        if (m instanceof Counted) {
          this.write(m.text, m.bytes)
          this.turnBytes += m.bytes
        } else {
          this.write(m)
          this.turnBytes += ((m as { d?: unknown }).d as string | undefined)?.length ?? 0
        }
        if (this.turnBytes >= BULK_TURN_BYTES && this.bulk.length > 1) {
          this.bulk.push(this.bulk.shift()!)
          this.turnBytes = 0
        }
      }
    } finally {
      this.pumping = false
    }
  }
}

/**
 * `key` as given to `send`; undefined or `'own'` stands for the key of the call `env` belongs to (see
 * {@link blobKey}), undefined for an envelope that names none.
 */
function ownKey(env: Envelope, key: string | undefined): string | undefined {
  if (key !== undefined && key !== 'own') return key
  const e = env as { id?: number; s?: number }
  return e.id === undefined ? undefined : blobKey(env.t, e.id, e.s)
}

/** The JSON text of a piece envelope up to its `d`: `{"t":"chunk","k":1,"of":"ok","id":4,"s":2`. */
function pieceHead(t: 'chunk' | 'str', k: number, of: string, id?: number, s?: number): string {
  let head = `{"t":"${t}","k":${k},"of":"${of}"`
  if (id !== undefined) head += `,"id":${id}`
  if (s !== undefined) head += `,"s":${s}`
  return head
}

/** A piece envelope as an object, for a transport that stringifies what it is given. */
function pieceObject(
  t: 'chunk' | 'str',
  k: number,
  of: string,
  id: number | undefined,
  s: number | undefined,
  d: string,
  last: boolean,
): object {
  const obj: { t: 'chunk' | 'str'; k: number; of: string; id?: number; s?: number; d: string; end?: 1 } = {
    t,
    k,
    of,
    d,
  }
  if (id !== undefined) obj.id = id
  if (s !== undefined) obj.s = s
  if (last) obj.end = 1
  return obj
}

export { CHUNK_OVERHEAD }
