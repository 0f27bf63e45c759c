/**
 * What a transport's `maxMessageBytes` limits, computed here independently of the outbox: for a `text`
 * transport the UTF-8 bytes of the message; for an `object` transport (a browser Port, which serialises
 * the message itself) the length of its JSON with every string unit counted once (as if nothing needed
 * escaping), whose real UTF-8 size is at most 6 times that.
 */
export function measured(kind: 'text' | 'object', message: string | object): number {
  if (kind === 'text')
    return Buffer.byteLength(typeof message === 'string' ? message : JSON.stringify(message))
  return typeof message === 'string' ? Buffer.byteLength(message) : unitLength(message)
}

/** The length of `JSON.stringify(v)` with each string (and key) counted at its length, not its escapes. */
export function unitLength(v: unknown): number {
  if (typeof v === 'string') return v.length + 2
  if (Array.isArray(v)) {
    let n = 2 + Math.max(0, v.length - 1)
    for (const x of v) n += x === undefined || typeof x === 'function' ? 4 : unitLength(x)
    return n
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function')
    let n = 2 + Math.max(0, entries.length - 1)
    for (const [k, x] of entries) n += k.length + 3 + unitLength(x)
    return n
  }
  return (JSON.stringify(v) ?? 'null').length
}

/** Throws unless `message` is within `max` as `kind` measures it (and, for an object, 6 x `max` in bytes). */
export function assertWithin(
  kind: 'text' | 'object',
  message: string | object,
  max: number,
  who: string,
): void {
  const size = measured(kind, message)
  if (size > max)
    throw new Error(`${who}: a ${size}-${kind === 'text' ? 'byte' : 'unit'} message exceeds ${max}`)
  if (kind === 'object') {
    const bytes = Buffer.byteLength(JSON.stringify(message))
    if (bytes > 6 * max) throw new Error(`${who}: a ${bytes}-byte object message exceeds 6 x ${max}`)
  }
}
