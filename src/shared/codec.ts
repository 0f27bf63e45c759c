import { SuperJSON } from 'superjson'
import { decodeBase64, encodeBase64 } from './base64.js'

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
 * True when `JSON.parse(JSON.stringify(v))` gives back an equal value: only strings, finite numbers
 * (not -0), booleans, null, and plain arrays and objects of those. Such values skip superjson's walk.
 */
export function isPlainJson(v: unknown, depth = 0): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v) && !(v === 0 && 1 / v < 0)
    case 'object': {
      if (v === null) return true
      if (depth >= MAX_FAST_DEPTH) return false
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlainJson(v[i], depth + 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in v) {
        if (!isPlainJson((v as Record<string, unknown>)[key], depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

const MAX_META_DEPTH = 1000

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A node of superjson's `values` tree: `[type, children?]` or `{ path: node }`; a type is `"Date"` or `["custom", "u8"]`. */
function isValueTree(t: unknown, depth: number): boolean {
  if (depth > MAX_META_DEPTH) return false
  if (Array.isArray(t)) {
    const [type, children] = t as unknown[]
    const typeOk =
      typeof type === 'string' ||
      (Array.isArray(type) && type.length === 2 && type.every((x) => typeof x === 'string'))
    return (
      t.length >= 1 && t.length <= 2 && typeOk && (children === undefined || isTreeRecord(children, depth))
    )
  }
  return isTreeRecord(t, depth)
}

function isTreeRecord(t: unknown, depth: number): boolean {
  if (!isRecord(t)) return false
  for (const key in t) if (!isValueTree(t[key], depth + 1)) return false
  return true
}

const isPathList = (v: unknown) => Array.isArray(v) && v.every((p) => typeof p === 'string')
const isPathRecord = (v: unknown) => isRecord(v) && Object.values(v).every(isPathList)

/**
 * Checks the shape of superjson metadata from the other end before superjson walks it. superjson trusts
 * it: a string where a tree node belongs (`{"values":"x"}`) sends its walker into unbounded recursion
 * (about 30 ms of CPU per 20-byte message before the stack overflows).
 */
function checkMeta(meta: unknown): void {
  const bad = (what: string) => {
    let shown: string
    try {
      shown = JSON.stringify(meta).slice(0, 80)
    } catch {
      shown = typeof meta
    }
    throw new TypeError(
      `superjson metadata ${shown} is malformed: ${what}; the sender is not a superjson codec`,
    )
  }
  if (!isRecord(meta)) bad('not an object')
  const m = meta as Record<string, unknown>
  if (m.v !== undefined && typeof m.v !== 'number') bad('"v" is not a number')
  if (m.values !== undefined && !isValueTree(m.values, 0)) bad('"values" is not a tree of type annotations')
  const eq = m.referentialEqualities
  if (
    eq !== undefined &&
    !isPathRecord(eq) &&
    !(
      Array.isArray(eq) &&
      eq.length >= 1 &&
      eq.length <= 2 &&
      isPathList(eq[0]) &&
      (eq[1] === undefined || isPathRecord(eq[1]))
    )
  )
    bad('"referentialEqualities" is not a map of paths')
}

interface BlobContext {
  /** Collects large binary values during `serialize`, or null when they go inline. */
  collect: Uint8Array[] | null
  /** Provides them during `deserialize`. */
  provide: readonly Uint8Array[] | null
}

function createSuperJSON(ctx: BlobContext, threshold: number): SuperJSON {
  const sj = new SuperJSON()
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
      deserialize: (v) => decodeBase64(v),
    },
    'u8',
  )
  sj.registerCustom<ArrayBuffer, string>(
    {
      isApplicable: (v): v is ArrayBuffer => v instanceof ArrayBuffer,
      serialize: (v) => encodeBase64(new Uint8Array(v)),
      deserialize: (v) => {
        const u8 = decodeBase64(v)
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
  return {
    encode(value, opts) {
      if (isPlainJson(value)) return { json: value }
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
      checkMeta(meta)
      ctx.provide = blobs ?? null
      try {
        return sj.deserialize({ json: json as never, meta: meta as never })
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
