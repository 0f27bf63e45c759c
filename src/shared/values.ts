/** Checks on values crossing the session: what is a promise, a stream, too deeply nested. */

export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function'

export const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'

/** Work counted by a walk, for tests that bound it: nodes entered plus edges followed. */
export interface WalkWork {
  steps: number
}

const isObject = (v: unknown): v is object => v !== null && typeof v === 'object'

/**
 * The values inside `v` that a walk descends into: what a codec builds (arrays, plain objects, Maps, Sets).
 * Anything else (binary data, a Date, a stream handed to a handler) is a leaf.
 */
function childrenOf(v: object): unknown[] {
  if (Array.isArray(v)) return v
  if (v instanceof Map) return [...v.keys(), ...v.values()]
  if (v instanceof Set) return [...v]
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null ? Object.values(v) : []
}

/**
 * True when `value` nests arrays, objects, Maps and Sets more than `limit` levels deep. A decoded value
 * can be a graph (superjson carries shared and circular references), so this visits each node once: the
 * height of a node reached again is remembered, and a reference back to a node still being walked (a
 * cycle) is a reference, not more nesting. 40 levels of shared references (2^40 paths) cost 80 steps.
 * Iterative, and it stops as soon as the answer is known, so hostile input cannot overflow the stack.
 *
 * @example
 * deeperThan([[1]], 1) // true: two levels
 */
export function deeperThan(value: unknown, limit: number, work: WalkWork = { steps: 0 }): boolean {
  if (!isObject(value)) return false
  // The common case (a call's arguments, all scalars) is one level: answered without the maps below.
  const top0 = childrenOf(value)
  let flat = true
  for (let i = 0; i < top0.length; i++) {
    if (isObject(top0[i])) {
      flat = false
      break
    }
  }
  if (flat) {
    work.steps += 1 + top0.length
    return limit < 1
  }
  /** Heights of nodes walked to the end: 1 for an object holding no objects. */
  const height = new Map<object, number>()
  const onPath = new Set<object>()
  interface Frame {
    node: object
    children: unknown[]
    next: number
    /** Tallest child height so far. */
    tallest: number
  }
  const path: Frame[] = []
  const enter = (node: object) => {
    work.steps++
    onPath.add(node)
    path.push({ node, children: childrenOf(node), next: 0, tallest: 0 })
  }
  if (limit < 1) return true
  enter(value)
  while (path.length > 0) {
    const top = path[path.length - 1]!
    if (top.next < top.children.length) {
      const c = top.children[top.next++]
      work.steps++
      if (!isObject(c) || onPath.has(c)) continue
      const h = height.get(c)
      if (h !== undefined) {
        if (path.length + h > limit) return true
        if (h > top.tallest) top.tallest = h
        continue
      }
      if (path.length + 1 > limit) return true
      enter(c)
      continue
    }
    path.pop()
    onPath.delete(top.node)
    const h = top.tallest + 1
    height.set(top.node, h)
    const parent = path[path.length - 1]
    if (parent && h > parent.tallest) parent.tallest = h
  }
  return false
}

/**
 * How many nodes a walk that does not remember what it has seen (a schema validator, `JSON.stringify`)
 * visits in `value`, counted up to `cap`: shared references count once per path to them. Returns
 * `Infinity` for a cycle or when the count passes `cap`. Costs one step per node of the graph.
 *
 * @example
 * const o = { a: 1 }
 * unfoldedSize([o, o], 100) // 3: the list and o twice
 */
export function unfoldedSize(value: unknown, cap: number, work: WalkWork = { steps: 0 }): number {
  if (!isObject(value)) return 1
  const size = new Map<object, number>()
  const onPath = new Set<object>()
  const path: Array<{ node: object; children: unknown[]; next: number; total: number }> = []
  const enter = (node: object) => {
    work.steps++
    onPath.add(node)
    path.push({ node, children: childrenOf(node), next: 0, total: 1 })
  }
  enter(value)
  while (path.length > 0) {
    const top = path[path.length - 1]!
    if (top.next < top.children.length) {
      const c = top.children[top.next++]
      work.steps++
      if (!isObject(c)) top.total++
      else if (onPath.has(c)) return Number.POSITIVE_INFINITY
      else {
        const s = size.get(c)
        if (s === undefined) enter(c)
        else top.total += s
      }
      if (top.total > cap) return Number.POSITIVE_INFINITY
      continue
    }
    path.pop()
    onPath.delete(top.node)
    size.set(top.node, top.total)
    const parent = path[path.length - 1]
    if (!parent) return top.total
    parent.total += top.total
    if (parent.total > cap) return Number.POSITIVE_INFINITY
  }
  return 0
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

/** A value the codec cannot carry (a function or a symbol), found at `path` inside what was being sent. */
export class UncrossableError extends TypeError {
  constructor(
    /** Keys from the sent value down to the bad one: array indexes, property names, `<key>`/`<value>` of Map entries. */
    readonly path: ReadonlyArray<string | number>,
    readonly kind: 'function' | 'symbol',
  ) {
    super(
      `${describePath(path)} is a ${kind}; ${kind}s cannot cross to the other end (they would arrive as null): ` +
        'send data, and for a callback use a stream or an event',
    )
    this.name = 'TypeError'
  }
}

/** `[1].cb`, or `the value` for the root. */
export function describePath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return 'the value'
  return path
    .map((k) =>
      typeof k === 'number'
        ? `[${k}]`
        : /^(?:[A-Za-z_$][\w$]*|<[a-z]+ \d+>)$/.test(k)
          ? `.${k}`
          : `[${JSON.stringify(k)}]`,
    )
    .join('')
}

/**
 * Throws an `UncrossableError` naming the first function or symbol inside arrays, plain objects, Maps and
 * Sets of `value`; visits each object once (the value may share or contain itself).
 *
 * @example
 * checkCrossable([1, { cb: () => {} }]) // throws: [1].cb is a function; ...
 */
export function checkCrossable(value: unknown): void {
  // Each entry keeps a link to its parent's entry instead of a copy of its path, so a deep value costs
  // linear work: the path is spelled out only for the one value that is refused.
  interface Entry {
    v: unknown
    parent: Entry | null
    key: string | number
  }
  const pathOf = (e: Entry): Array<string | number> => {
    const out: Array<string | number> = []
    for (let x: Entry | null = e; x?.parent; x = x.parent) out.push(x.key)
    return out.reverse()
  }
  const seen = new Set<object>()
  const stack: Entry[] = [{ v: value, parent: null, key: '' }]
  while (stack.length > 0) {
    const entry = stack.pop()!
    const v = entry.v
    if (typeof v === 'function') throw new UncrossableError(pathOf(entry), 'function')
    if (typeof v === 'symbol') throw new UncrossableError(pathOf(entry), 'symbol')
    if (!isObject(v) || seen.has(v)) continue
    seen.add(v)
    const push = (x: unknown, key: string | number) => stack.push({ v: x, parent: entry, key })
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) push(v[i], i)
    else if (v instanceof Map) {
      let i = 0
      for (const [k, x] of v) {
        push(x, `<value ${i}>`)
        push(k, `<key ${i}>`)
        i++
      }
    } else if (v instanceof Set) {
      let i = 0
      for (const x of v) push(x, `<element ${i++}>`)
    } else {
      const proto = Object.getPrototypeOf(v)
      if (proto === Object.prototype || proto === null)
        for (const k of Object.keys(v).reverse()) push((v as Record<string, unknown>)[k], k)
    }
  }
}

/**
 * The message for arguments of call `path` that the codec refused: it names the argument and the path
 * inside it when the codec said where (an `UncrossableError`).
 *
 * @example
 * cannotSendArguments('fs.watch', 'host "com.acme.app"', new UncrossableError([1, 'cb'], 'function'))
 * // 'Argument 1 of "fs.watch" cannot be sent: its .cb is a function, which cannot cross to host "com.acme.app"; ...'
 */
export function cannotSendArguments(path: string, peer: string, e: unknown): string {
  if (e instanceof UncrossableError && typeof e.path[0] === 'number') {
    const inside = e.path.length > 1 ? `its ${describePath(e.path.slice(1))}` : 'it'
    return (
      `Argument ${e.path[0]} of "${path}" cannot be sent: ${inside} is a ${e.kind}, which cannot cross to ${peer}; ` +
      'send data instead (for a callback, use a stream or an event)'
    )
  }
  return `Arguments of "${path}" cannot be sent: ${e instanceof Error ? e.message : String(e)}`
}
