/**
 * Base64 for binary payloads, using the fastest primitive the platform has: `Uint8Array#toBase64`
 * (recent browsers), Node's `Buffer` (found on globalThis, never imported: this file must bundle for a
 * service worker), or `btoa` over slices of about 32 KiB.
 */

type NativeB64 = { toBase64?: () => string }
type NativeFrom = { fromBase64?: (s: string) => Uint8Array }
type BufferLike = {
  from(
    data: ArrayBufferLike | string,
    offsetOrEncoding?: number | string,
    length?: number,
  ): Uint8Array & {
    toString(enc: string): string
  }
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const native = bytes as Uint8Array & NativeB64
  if (typeof native.toBase64 === 'function') return native.toBase64()
  // Slices must be a multiple of 3 bytes: otherwise each slice's base64 ends in '=' padding mid-string.
  const slice = 3 * 10_922
  let out = ''
  for (let i = 0; i < bytes.length; i += slice) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + slice) as unknown as number[]))
  }
  return out
}

export function decodeBase64(text: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(text, 'base64')
    // Small results are slices of Node's shared 8 KiB pool, next to other data: copy those, so the
    // caller's `.buffer` holds only these bytes (it may be handed on whole, e.g. to a Blob or a worker).
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return new Uint8Array(b.buffer)
    return new Uint8Array(b)
  }
  const from = (Uint8Array as unknown as NativeFrom).fromBase64
  if (typeof from === 'function') return from(text)
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/**
 * Decodes `text` only if it is padded base64 in the standard alphabet (`A-Z a-z 0-9 + /`, `=` only as the
 * last one or two of a multiple of 4 characters), else returns undefined. Every decoder skips or stops
 * at what it cannot read, so the check is the decoded length: anything else in the text makes it shorter
 * than `3 * length / 4 - padding`. Node's decoder also reads the URL-safe `-` and `_`, so those are looked
 * for first (a native search, as fast as memchr). This replaces a regular expression over every character of each binary piece, which cost a
 * client more instructions than decoding it did.
 *
 * @example
 * decodeBase64Exact('Zm9v') // Uint8Array [102, 111, 111]
 * decodeBase64Exact('Zm9') // undefined
 */
export function decodeBase64Exact(text: string): Uint8Array | undefined {
  const n = text.length
  if (n % 4 || text.indexOf('-') >= 0 || text.indexOf('_') >= 0) return undefined
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  try {
    const bytes = decodeBase64(text)
    return bytes.length === (n / 4) * 3 - pad ? bytes : undefined
  } catch {
    return undefined // atob and Uint8Array.fromBase64 throw on a character outside the alphabet
  }
}
