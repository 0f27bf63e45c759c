/**
 * Cuts the JSON text of an envelope too large for one message into pieces whose `chunk` envelopes each fit
 * in `maxBytes` (the piece is embedded as a JSON string, so its escaping counts). Pieces never split a
 * surrogate pair, so each piece is well-formed UTF-16 and survives a browser's JSON round trip.
 */

/** Room left in each chunk message for everything but the piece: `{"t":"chunk","k":…,"of":…,"id":…,"s":…,"d":…,"end":1}`. */
export const CHUNK_OVERHEAD = 128

export interface Piece {
  /** The slice of the original text. */
  text: string
  /** `JSON.stringify(text)`, computed while measuring. */
  quoted: string
  /** UTF-8 bytes of `quoted`. */
  bytes: number
}

/** Options of `cutPieces`. */
export interface CutOptions {
  /**
   * The text is the output of `JSON.stringify` (as an envelope's JSON always is): it holds no control
   * characters and no lone surrogates, so quoting a piece only escapes `"` and `\`. The pieces are then
   * measured and quoted with native `indexOf` and `byteLength` (a few hundred microseconds per MiB)
   * instead of a `JSON.stringify` per piece (several milliseconds per MiB in Node 20).
   */
  jsonText?: boolean
}

/**
 * Past this share of `"` and `\\` in a piece (one in 16 units), quoting by slices costs more than
 * `JSON.stringify`, which then quotes the piece instead.
 */
const ESCAPE_SHARE = 16

/**
 * Yields pieces of `text`, in order. `byteLength` measures UTF-8 bytes (injected: Node has a fast native one).
 *
 * @example
 * for (const p of cutPieces(json, 1 << 20, utf8Length, { jsonText: true })) send({ t: 'chunk', k, d: p.text })
 */
export function* cutPieces(
  text: string,
  maxBytes: number,
  byteLength: (s: string) => number,
  options: CutOptions = {},
): Generator<Piece> {
  const budget = maxBytes - CHUNK_OVERHEAD
  if (budget < 16)
    throw new RangeError(`maxBytes ${maxBytes} is too small to carry chunks; use at least 1024`)
  const scan = options.jsonText ? new EscapeScanner(text) : undefined
  let pos = 0
  // Bytes per UTF-16 unit of the last piece: text tends to look like itself, so the next guess usually fits
  // at the first measurement (and quote-free text such as base64 exactly fills the budget).
  let ratio = 1
  while (pos < text.length) {
    let take = Math.min(text.length - pos, Math.floor((budget - 2) / ratio))
    for (;;) {
      // Never cut between the halves of a surrogate pair (a lone surrogate may end a piece).
      const end = pos + take
      if (
        end < text.length &&
        isHighSurrogate(text.charCodeAt(end - 1)) &&
        isLowSurrogate(text.charCodeAt(end))
      )
        take = take > 1 ? take - 1 : 2
      const slice = text.slice(pos, pos + take)
      const piece = measure(slice, pos, scan, budget, byteLength)
      if (piece.bytes <= budget) {
        yield piece
        pos += take
        ratio = Math.max(1, piece.bytes / Math.max(1, take))
        break
      }
      // Every unit is at least one byte, so dropping `over` units is sure to fit; a proportional cut is
      // larger when escapes are dense. Always shrink by at least one unit, so the loop ends.
      const over = piece.bytes - budget
      take = Math.max(1, Math.min(take - 1, Math.max(take - over, Math.floor((take * budget) / piece.bytes))))
    }
  }
}

/** Quotes and measures `slice` (at `pos` in the text): by its escapes when `scan` is given and they are few. */
function measure(
  slice: string,
  pos: number,
  scan: EscapeScanner | undefined,
  budget: number,
  byteLength: (s: string) => number,
): Piece {
  const escapes = scan?.find(pos, pos + slice.length, Math.ceil(slice.length / ESCAPE_SHARE))
  if (escapes) {
    // Each escape adds one byte (a backslash); the two quotes add two.
    const bytes = byteLength(slice) + escapes.length + 2
    return { text: slice, quoted: bytes <= budget ? quoteBySlices(slice, pos, escapes) : '', bytes }
  }
  const quoted = JSON.stringify(slice)
  return { text: slice, quoted, bytes: byteLength(quoted) }
}

/** `JSON.stringify(slice)` for a slice of JSON text, given the positions of its `"` and `\\`. */
function quoteBySlices(slice: string, pos: number, escapes: readonly number[]): string {
  if (escapes.length === 0) return `"${slice}"`
  let out = '"'
  let from = 0
  for (const at of escapes) {
    out += `${slice.slice(from, at - pos)}\\`
    from = at - pos
  }
  return `${out}${slice.slice(from)}"`
}

/**
 * Finds the `"` and `\\` of a text with native `indexOf`, remembering each character's last answer so that
 * pieces asked in order scan the text about once (a text without a backslash is searched for one once).
 */
class EscapeScanner {
  private readonly memo = { '"': { from: 0, at: -2 }, '\\': { from: 0, at: -2 } }

  constructor(private readonly text: string) {}

  /** Positions of `"` and `\\` in [from, to), in order; undefined when there are more than `cap`. */
  find(from: number, to: number, cap: number): number[] | undefined {
    const quotes = this.collect('"', from, to, cap)
    if (!quotes) return undefined
    const slashes = this.collect('\\', from, to, cap - quotes.length)
    if (!slashes) return undefined
    if (slashes.length === 0) return quotes
    if (quotes.length === 0) return slashes
    return quotes.concat(slashes).sort((a, b) => a - b)
  }

  private collect(ch: '"' | '\\', from: number, to: number, cap: number): number[] | undefined {
    const found: number[] = []
    for (let at = this.indexOf(ch, from); at !== -1 && at < to; at = this.indexOf(ch, at + 1)) {
      if (found.length >= cap) return undefined
      found.push(at)
    }
    return found
  }

  /** `text.indexOf(ch, from)`, answered from memory when the last answer still holds for `from`. */
  private indexOf(ch: '"' | '\\', from: number): number {
    const m = this.memo[ch]
    if (m.at !== -2 && m.from <= from && (m.at === -1 || m.at >= from)) return m.at
    m.from = from
    m.at = this.text.indexOf(ch, from)
    return m.at
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

/** The most bytes of JSON one UTF-16 unit of a string can take: `\u0001` (a control character escaped). */
export const STRING_UNIT_BOUND = 6
/**
 * The most bytes of JSON a number takes: 25 (-0.0000010005749254156202: fixed notation down to 1e-6, 17
 * significant digits; exponent forms top out at 24, -2.2250738585072014e-308). Also used for booleans and
 * null by callers that need one bound for every scalar.
 */
export const SCALAR_BOUND = 25

/**
 * Upper bound of the UTF-8 size of `JSON.stringify(v)`, or `Infinity` once it exceeds `budget` (and for
 * what it does not bound cheaply: nesting past 64 levels, objects with `toJSON` or a class prototype). Cheap:
 * it counts `unit` bytes for each string unit, by default 6 (the worst case, a `\u00XX` escape), so it never
 * under-estimates. With `unit` 1 it measures what an object transport counts a message by (see
 * {@link Outbox}): the size as if no character took more than a byte, of which the real size is at most
 * 6 times (every term of the default bound is at most 6 times its term here).
 */
export function jsonSizeBound(v: unknown, budget: number, unit: number = STRING_UNIT_BOUND): number {
  const total = boundOf(v, budget, 0, 0, unit)
  return total <= budget ? total : Number.POSITIVE_INFINITY
}

/**
 * `total` plus the bound of `x`, or `Infinity` once past `budget`. A plain function rather than a closure
 * over a running total: it runs on every envelope a host sends once string parts are on, and the closure
 * version cost the host 6% more instructions per small call (callgrind, 2,000 sequential calls).
 */
function boundOf(x: unknown, budget: number, total: number, depth: number, unit: number): number {
  if (depth > 64) return Number.POSITIVE_INFINITY
  switch (typeof x) {
    case 'string':
      return total + x.length * unit + 2
    case 'number':
    case 'bigint':
      return total + SCALAR_BOUND
    case 'boolean':
      return total + 5
    case 'object': {
      if (x === null) return total + 4
      if (Array.isArray(x)) {
        total += 2 + x.length
        for (let i = 0; i < x.length; i++) {
          total = boundOf(x[i], budget, total, depth + 1, unit)
          if (total > budget) return Number.POSITIVE_INFINITY
        }
        return total
      }
      // JSON.stringify prints a Date (toJSON) or a boxed primitive from more than its own keys; rather
      // than model that, say "unknown" (Infinity) so the caller measures the real text.
      const proto = Object.getPrototypeOf(x)
      if (proto !== Object.prototype && proto !== null) return Number.POSITIVE_INFINITY
      if (typeof (x as { toJSON?: unknown }).toJSON === 'function') return Number.POSITIVE_INFINITY
      total += 2
      for (const key in x) {
        total = boundOf(
          (x as Record<string, unknown>)[key],
          budget,
          total + key.length * unit + 4,
          depth + 1,
          unit,
        )
        if (total > budget) return Number.POSITIVE_INFINITY
      }
      return total
    }
    default:
      return total + 4
  }
}
