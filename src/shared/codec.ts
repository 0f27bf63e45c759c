// superjsonCodec lives in superjsonCodec.ts, so that a bundle using only jsonCodec() leaves superjson out.
export { superjsonCodec } from './superjsonCodec.js'

/**
 * Turns values into JSON-safe data and back. `encode` returns the JSON and, only when the value needed
 * more than plain JSON, a `meta` the decoder needs; the envelope carries them as the payload and `x`.
 */
export interface Codec {
  /**
   * `blobs`: large binary values taken out of the JSON (the JSON refers to them by index); the session
   * sends them as `bin` pieces after the envelope. With `inline: true` nothing is taken out.
   */
  encode(
    value: unknown,
    options?: { inline?: boolean },
  ): { json: unknown; meta?: unknown; blobs?: Uint8Array[] }
  /** `blobs`: the binary values `encode` took out, in order. */
  decode(json: unknown, meta: unknown, blobs?: readonly Uint8Array[]): unknown
}

/** Binary values at least this large travel as separate `bin` pieces rather than inline base64. */
export const DEFAULT_BLOB_THRESHOLD = 256 * 1024

const MAX_FAST_DEPTH = 32

/**
 * Work the fast path does before it also checks for shared objects: about a message's worth (an object or array
 * counts `OBJECT_COST`, a string its length). Below it, a value whose objects are shared is sent
 * as copies, as JSON would; past it, the check runs, so a decoded graph with 2^40 paths (shared
 * references the peer sent, echoed back by a handler) goes to superjson, which carries each object once,
 * instead of being walked and stringified path by path.
 */
const PLAIN_WALK_BUDGET = 1024 * 1024
/** What an object or array costs of that budget: about the bytes a small one takes as JSON. */
const OBJECT_COST = 16

interface PlainWalk {
  left: number
  /** Objects seen so far, in the second pass only. */
  seen: Set<object> | undefined
}

function plain(v: unknown, depth: number, w: PlainWalk): boolean {
  switch (typeof v) {
    case 'string':
      w.left -= v.length
      return w.left >= 0
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v) && !(v === 0 && 1 / v < 0)
    case 'object': {
      if (v === null) return true
      w.left -= OBJECT_COST
      if (depth >= MAX_FAST_DEPTH || w.left < 0) return false
      if (w.seen) {
        if (w.seen.has(v)) return false
        w.seen.add(v)
      }
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !plain(v[i], depth + 1, w)) return false
        return true
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in v) {
        if (!plain((v as Record<string, unknown>)[key], depth + 1, w)) return false
      }
      return true
    }
    default:
      return false
  }
}

/**
 * True when `JSON.parse(JSON.stringify(v))` gives back an equal value: only strings, finite numbers
 * (not -0), booleans, null, and plain arrays and objects of those. Such values skip superjson's walk.
 * Large values are also checked for shared objects (see `PLAIN_WALK_BUDGET`), so this costs time linear
 * in the number of objects, not of paths.
 *
 * @example
 * isPlainJson({ a: [1, 'x', null] }) // true
 * isPlainJson({ at: new Date() }) // false
 */
export function isPlainJson(v: unknown): boolean {
  const fast: PlainWalk = { left: PLAIN_WALK_BUDGET, seen: undefined }
  if (plain(v, 0, fast)) return true
  if (fast.left >= 0) return false
  return plain(v, 0, { left: Number.POSITIVE_INFINITY, seen: new Set() })
}

/**
 * A codec for plain JSON only: values that are not plain JSON are refused with a clear error instead of
 * being silently changed (as `JSON.stringify` would turn a `Date` into a string).
 */
export function jsonCodec(): Codec {
  return {
    encode(value) {
      if (!isPlainJson(value))
        throw new TypeError(
          'jsonCodec can only send plain JSON (strings, finite numbers, booleans, null, arrays, plain objects); ' +
            'use the default superjsonCodec() for Date, Map, Set, BigInt, undefined or binary data',
        )
      return { json: value }
    },
    decode: (json) => json,
  }
}
