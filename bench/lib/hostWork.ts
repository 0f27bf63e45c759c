const PATTERN = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
const items = new Map<number, string>()

/**
 * The host side's payloads, shared by every contender's host so that each one does the same work.
 * `bytes` fills with a 256-byte pattern the client can check; `item` is one cached ASCII string per size
 * (the stream measures transport, not string building).
 *
 * @example
 * const data = makeBytes(100 * 1024 * 1024)
 */
export function makeBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(length)
  buffer.fill(PATTERN)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** One stream item of `size` ASCII characters. */
export function makeItem(size: number): string {
  let item = items.get(size)
  if (item === undefined) {
    item = 'x'.repeat(size)
    items.set(size, item)
  }
  return item
}

/** Base64 text of `makeBytes(length)`, for contenders that carry no binary. */
export function bytesAsBase64(length: number): string {
  const data = makeBytes(length)
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')
}
