/**
 * Base64 for binary payloads, using the fastest primitive the platform has: `Uint8Array#toBase64`
 * (recent browsers), Node's `Buffer` (found on globalThis, never imported: this file must bundle for a
 * service worker), or `btoa` over 32 KiB slices.
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
  let out = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]))
  }
  return out
}

export function decodeBase64(text: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(text, 'base64')
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }
  const from = (Uint8Array as unknown as NativeFrom).fromBase64
  if (typeof from === 'function') return from(text)
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
