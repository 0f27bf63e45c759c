import { decodeBase64, encodeBase64 } from './base64.js'
import { type Codec, DEFAULT_BLOB_THRESHOLD, isPlainJson } from './codec.js'
import { SuperJSON } from './superjsonLib.js'
import { applySuperjsonMeta, type TypeAnnotation } from './superjsonMeta.js'
import { checkCrossable } from './values.js'

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
  // Made when a value first needs it: plain JSON never does, and a host's start is cheaper without it.
  let made: SuperJSON | undefined
  const sj = () => {
    made ??= createSuperJSON(ctx, options.blobThreshold ?? DEFAULT_BLOB_THRESHOLD)
    return made
  }
  // One value at a time: superjson converts a leaf (Date, BigInt, binary, ...) by its annotation at the root.
  const decodeLeaf = (json: unknown, type: TypeAnnotation) =>
    sj().deserialize({ json: json as never, meta: { values: [type as never], v: 1 } }, { inPlace: true })
  return {
    encode(value, opts) {
      // Nothing at all, as PROTOCOL.md shows (`{"t":"ok","id":4}`), rather than `null` plus metadata.
      if (value === undefined) return { json: undefined }
      if (isPlainJson(value)) return { json: value }
      checkCrossable(value)
      ctx.collect = opts?.inline ? null : []
      try {
        const { json, meta } = sj().serialize(value)
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
