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
  /** `JSON.stringify(text)`, already computed while measuring. */
  quoted: string
}

/**
 * Yields pieces of `text`, in order. `byteLength` measures UTF-8 bytes (injected: Node has a fast native one).
 *
 * @example
 * for (const p of cutPieces(json, 1 << 20, utf8Length)) send({ t: 'chunk', k, d: p.text })
 */
export function* cutPieces(
  text: string,
  maxBytes: number,
  byteLength: (s: string) => number,
): Generator<Piece> {
  const budget = maxBytes - CHUNK_OVERHEAD
  if (budget < 16)
    throw new RangeError(`maxBytes ${maxBytes} is too small to carry chunks; use at least 1024`)
  let pos = 0
  // Bytes per UTF-16 unit of the last piece: text tends to look like itself, so the next guess usually fits
  // at the first JSON.stringify (and quote-free text such as base64 exactly fills the budget).
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
      const quoted = JSON.stringify(slice)
      const bytes = quoted.length * 3 <= budget ? quoted.length : byteLength(quoted)
      if (bytes <= budget) {
        yield { text: slice, quoted }
        pos += take
        ratio = Math.max(1, bytes / Math.max(1, take))
        break
      }
      // Every unit is at least one byte, so dropping `over` units is sure to fit; a proportional cut is
      // larger when escapes are dense. Always shrink by at least one unit, so the loop ends.
      const over = bytes - budget
      take = Math.max(1, Math.min(take - 1, Math.max(take - over, Math.floor((take * budget) / bytes))))
    }
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

/**
 * Upper bound of the UTF-8 size of `JSON.stringify(v)`, or `Infinity` once it exceeds `budget` (and for
 * what it does not bound cheaply: nesting past 64 levels, objects with `toJSON` or a class prototype). Cheap:
 * it counts 6 bytes for each string unit (the worst case, a `\u00XX` escape), so it never under-estimates.
 */
export function jsonSizeBound(v: unknown, budget: number): number {
  let total = 0
  const walk = (x: unknown, depth: number): boolean => {
    if (total > budget || depth > 64) return false
    switch (typeof x) {
      case 'string':
        total += x.length * 6 + 2
        return total <= budget
      case 'number':
      case 'bigint':
        // The longest a double prints is 25 characters: -0.0000010005749254156202 (fixed notation down
        // to 1e-6, 17 significant digits); exponent forms top out at 24 (-2.2250738585072014e-308).
        total += 25
        return true
      case 'boolean':
        total += 5
        return true
      case 'object': {
        if (x === null) {
          total += 4
          return true
        }
        if (Array.isArray(x)) {
          total += 2 + x.length
          for (const e of x) if (!walk(e, depth + 1)) return false
          return total <= budget
        }
        // JSON.stringify prints a Date (toJSON) or a boxed primitive from more than its own keys; rather
        // than model that, say "unknown" (Infinity) so the caller measures the real text.
        const proto = Object.getPrototypeOf(x)
        if (proto !== Object.prototype && proto !== null) return false
        if (typeof (x as { toJSON?: unknown }).toJSON === 'function') return false
        total += 2
        for (const key in x) {
          total += key.length * 6 + 4
          if (!walk((x as Record<string, unknown>)[key], depth + 1)) return false
        }
        return total <= budget
      }
      default:
        total += 4
        return true
    }
  }
  // A lone scalar is added without a check inside the walk; the final one keeps the contract for it too.
  return walk(v, 0) && total <= budget ? total : Number.POSITIVE_INFINITY
}
