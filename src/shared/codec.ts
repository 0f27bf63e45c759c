import { SuperJSON } from 'superjson'
import { decodeBase64, encodeBase64 } from './base64.js'
import { applySuperjsonMeta, type TypeAnnotation } from './superjsonMeta.js'
import { checkCrossable } from './values.js'

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

interface BlobContext {
  /** Collects large binary values during `serialize`, or null when they go inline. */
  collect: Uint8Array[] | null
  /** Provides them during `deserialize`. */
  provide: readonly Uint8Array[] | null
}

/** The peer's base64 text; anything else is refused (`Buffer.from({ length: 1e9 })` would allocate 1 GB). */
function base64Of(v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`binary value sent as ${typeof v}, not base64 text`)
  return v
}

function createSuperJSON(ctx: BlobContext, threshold: number): SuperJSON {
  // dedupe: an object met again is written once and `null` at its other places (its metadata says where),
  // so the JSON stays a tree. Without it superjson's JSON shares nodes, and 40 levels of shared objects
  // stringify to 2^40 copies.
  const sj = new SuperJSON({ dedupe: true })
  const blobIndex = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new TypeError(`bad binary part index ${String(v)}`)
    const blob = ctx.provide?.[v]
    if (!blob) throw new TypeError(`binary part ${v} is missing`)
    return v
  }
  // Large binary values leave the JSON: superjson records a reference, the bytes follow as `bin` pieces.
  // Registered first: superjson takes the first custom type that applies.
  sj.registerCustom<Uint8Array, number>(
    {
      isApplicable: (v): v is Uint8Array =>
        ctx.collect !== null && v instanceof Uint8Array && v.byteLength >= threshold,
      serialize: (v) => ctx.collect!.push(v) - 1,
      deserialize: (v) => ctx.provide![blobIndex(v)]!,
    },
    'u8b',
  )
  sj.registerCustom<ArrayBuffer, number>(
    {
      isApplicable: (v): v is ArrayBuffer =>
        ctx.collect !== null && v instanceof ArrayBuffer && v.byteLength >= threshold,
      serialize: (v) => ctx.collect!.push(new Uint8Array(v)) - 1,
      deserialize: (v) => {
        const u8 = ctx.provide![blobIndex(v)]!
        return (
          u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength
            ? u8.buffer
            : u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength)
        ) as ArrayBuffer
      },
    },
    'abb',
  )
  // superjson's default for typed arrays is an array of numbers (about 4x the bytes); base64 is 1.33x.
  sj.registerCustom<Uint8Array, string>(
    {
      isApplicable: (v): v is Uint8Array => v instanceof Uint8Array,
      serialize: (v) => encodeBase64(v),
      deserialize: (v) => decodeBase64(base64Of(v)),
    },
    'u8',
  )
  sj.registerCustom<ArrayBuffer, string>(
    {
      isApplicable: (v): v is ArrayBuffer => v instanceof ArrayBuffer,
      serialize: (v) => encodeBase64(new Uint8Array(v)),
      deserialize: (v) => {
        const u8 = decodeBase64(base64Of(v))
        return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer
      },
    },
    'ab',
  )
  return sj
}

/**
 * The default codec: plain JSON values pass through untouched (no walk beyond the plain-JSON check);
 * anything else goes through superjson, so `Date`, `Map`, `Set`, `BigInt`, `undefined`, `RegExp`, `Error`,
 * typed arrays (`Uint8Array` and `ArrayBuffer` as base64) survive the trip.
 *
 * Binary values of `blobThreshold` bytes or more (default 256 KiB) leave the JSON and travel as `bin` pieces,
 * base64-encoded a slice at a time as the connection drains: a 100 MiB result never exists as one string.
 *
 * @example
 * createClient<Host>('com.acme.app', { codec: superjsonCodec() })
 */
export function superjsonCodec(options: { blobThreshold?: number } = {}): Codec {
  const ctx: BlobContext = { collect: null, provide: null }
  const sj = createSuperJSON(ctx, options.blobThreshold ?? DEFAULT_BLOB_THRESHOLD)
  // One value at a time: superjson converts a leaf (Date, BigInt, binary, ...) by its annotation at the root.
  const decodeLeaf = (json: unknown, type: TypeAnnotation) =>
    sj.deserialize({ json: json as never, meta: { values: [type as never], v: 1 } }, { inPlace: true })
  return {
    encode(value, opts) {
      // Nothing at all, as PROTOCOL.md shows (`{"t":"ok","id":4}`), rather than `null` plus metadata.
      if (value === undefined) return { json: undefined }
      if (isPlainJson(value)) return { json: value }
      checkCrossable(value)
      ctx.collect = opts?.inline ? null : []
      try {
        const { json, meta } = sj.serialize(value)
        const blobs = ctx.collect
        if (blobs && blobs.length > 0) return { json, meta, blobs }
        return meta === undefined ? { json } : { json, meta }
      } finally {
        ctx.collect = null
      }
    },
    decode(json, meta, blobs) {
      if (meta === undefined) return json
      ctx.provide = blobs ?? null
      try {
        return applySuperjsonMeta(json, meta, decodeLeaf)
      } finally {
        ctx.provide = null
      }
    },
  }
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
