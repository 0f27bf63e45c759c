/** Checks on values crossing the session: what is a promise, a stream, too deeply nested. */

export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function'

export const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'

/**
 * True when `value` nests arrays/objects more than `limit` levels deep. Iterative, and it stops at the first
 * path that is too deep, so hostile input cannot overflow the stack here.
 */
export function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false
  const stack: Array<[object, number]> = [[value, 1]]
  const visit = (x: unknown, depth: number) => {
    if (x !== null && typeof x === 'object') stack.push([x, depth])
  }
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (depth > limit) return true
    if (Array.isArray(v)) for (const x of v) visit(x, depth + 1)
    else if (v instanceof Map || v instanceof Set) for (const x of v) visit(x, depth + 1)
    else if (!ArrayBuffer.isView(v)) for (const k in v) visit((v as Record<string, unknown>)[k], depth + 1)
  }
  return false
}

/** Streams given as arguments: async iterables and web `ReadableStream`s. */
export function asStreamArg(v: unknown): AsyncIterable<unknown> | undefined {
  if (isAsyncIterable(v)) return v
  if (v !== null && typeof v === 'object' && typeof (v as ReadableStream).getReader === 'function') {
    const stream = v as ReadableStream<unknown>
    return {
      async *[Symbol.asyncIterator]() {
        const reader = stream.getReader()
        try {
          for (;;) {
            const r = await reader.read()
            if (r.done) return
            yield r.value
          }
        } finally {
          await reader.cancel().catch(() => {})
          reader.releaseLock()
        }
      },
    }
  }
  return undefined
}
