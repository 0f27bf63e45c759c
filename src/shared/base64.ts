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
