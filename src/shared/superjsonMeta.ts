import { MAX_BIGINT_DIGITS } from './limits.js'

/**
 * Applies superjson metadata from the other end to the JSON it came with, in time linear in the size of
 * both, whatever shape the peer gave them.
 *
 * superjson's own `deserialize` is not used for the walk because its cost is the peer's to choose: it
 * finds every path from the root again, and a step into a `Set` or `Map` iterates it from the start, so N
 * paths into one Set cost N^2 (0.9 MiB of such metadata stalled an event loop for 13 s). Here:
 * - `Set`, `Map` and `Error` stay in their JSON form (arrays, `[key, value]` pairs, plain objects) until
 *   every annotation and shared reference is applied, so each path step is one array or property lookup;
 *   superjson's paths index those JSON forms exactly (`"m.3.1"` is `m[3][1]`).
 * - The values tree is applied relative to the node its parent resolved, never from the root again.
 * - Each node is converted at most once, so overlapping paths cannot convert one big node many times.
 * Leaf types (Date, BigInt, RegExp, binary, ...) are still converted by superjson, one value at a time.
 */

/** A type annotation: `"Date"`, or a pair like `["custom", "u8"]`. */
export type TypeAnnotation = string | readonly [string, string]

/** Converts one leaf value from its JSON form (superjson's untransform for that type). */
export type LeafDecoder = (json: unknown, type: TypeAnnotation) => unknown

/** Work counted while applying, for tests that bound it: path steps, conversions and fills. */
export interface MetaWork {
  steps: number
}

const MAX_META_DEPTH = 1000
const REFUSED_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor'])
/** The JSON forms that wait until the end, and what they become. */
const CONTAINERS = new Set(['set', 'map', 'Error'])

type Holder = unknown[] | Record<string, unknown>

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const isPlainRecord = (v: unknown): v is Record<string, unknown> => {
  if (!isRecord(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function malformed(meta: unknown, what: string): never {
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

const isType = (type: unknown): type is TypeAnnotation =>
  typeof type === 'string' ||
  (Array.isArray(type) && type.length === 2 && type.every((x) => typeof x === 'string'))

/** A node of superjson's `values` tree: `[type, children?]` or `{ path: node }`. */
function isValueTree(t: unknown, depth: number): boolean {
  if (depth > MAX_META_DEPTH) return false
  if (Array.isArray(t)) {
    const [type, children] = t as unknown[]
    return (
      t.length >= 1 &&
      t.length <= 2 &&
      isType(type) &&
      (children === undefined || isTreeRecord(children, depth))
    )
  }
  return isTreeRecord(t, depth)
}

function isTreeRecord(t: unknown, depth: number): boolean {
  if (!isRecord(t)) return false
  for (const key in t) if (!isValueTree(t[key], depth + 1)) return false
  return true
}

const isPathList = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string')
const isPathRecord = (v: unknown): v is Record<string, string[]> =>
  isRecord(v) && Object.values(v).every(isPathList)

/** superjson's metadata after its shape is checked. */
interface Meta {
  v?: number
  values?: unknown
  referentialEqualities?: Record<string, string[]> | [string[], Record<string, string[]>?]
}

/**
 * Checks the shape of superjson metadata before anything walks it. superjson trusts it: a string where a
 * tree node belongs (`{"values":"x"}`) sends its walker into unbounded recursion.
 */
function checkMeta(meta: unknown): asserts meta is Meta {
  if (!isRecord(meta)) malformed(meta, 'not an object')
  if (meta.v !== undefined && typeof meta.v !== 'number') malformed(meta, '"v" is not a number')
  if (meta.values !== undefined && !isValueTree(meta.values, 0))
    malformed(meta, '"values" is not a tree of type annotations')
  const eq = meta.referentialEqualities
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
    malformed(meta, '"referentialEqualities" is not a map of paths')
}

/**
 * Splits a superjson path (`"a.b\\.c"` is `["a", "b.c"]`). Version 1 escapes `\` as `\\`; older
 * metadata (no `v`) only escapes dots.
 */
export function parsePath(path: string, legacy: boolean): string[] {
  const segments: string[] = []
  let segment = ''
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!
    if (c === '\\') {
      const next = path[i + 1]
      if (next === '.' || (!legacy && next === '\\')) {
        segment += next
        i++
        continue
      }
      if (!legacy) throw new TypeError(`superjson path ${JSON.stringify(path.slice(0, 80))} has a bad escape`)
    } else if (c === '.') {
      segments.push(segment)
      segment = ''
      continue
    }
    segment += c
  }
  segments.push(segment)
  return segments
}

const INDEX = /^(?:0|[1-9]\d*)$/

/**
 * Applies checked-shape superjson `meta` to `json` (changed in place: it is freshly parsed from the wire)
 * and returns the value. Throws a `TypeError` naming the path when the metadata does not fit the JSON.
 *
 * @example
 * applySuperjsonMeta({ a: '1970-01-01T00:00:00.000Z' }, { values: { a: ['Date'] }, v: 1 }, decodeLeaf)
 * // { a: new Date(0) }
 */
export function applySuperjsonMeta(
  json: unknown,
  meta: unknown,
  decodeLeaf: LeafDecoder,
  work: MetaWork = { steps: 0 },
): unknown {
  checkMeta(meta)
  const legacy = meta.v === undefined || meta.v < 1
  const root: unknown[] = [json]
  /** JSON forms of Sets, Maps and Errors, built once everything else is in place. */
  const pending = new Map<object, string>()
  /** Every slot that held a pending node: replaced by the built value at the end. */
  const slots: Array<[Holder, string | number]> = []

  const where = (path: readonly string[]) => JSON.stringify(path.join('.').slice(0, 80))

  /** The child of `node` at `segment`, or `undefined` for none (an `undefined` value is not JSON). */
  const child = (node: unknown, segment: string): unknown => {
    work.steps++
    if (REFUSED_SEGMENTS.has(segment))
      throw new TypeError(`superjson path segment "${segment}" is refused (prototype pollution)`)
    if (Array.isArray(node)) return INDEX.test(segment) ? node[Number(segment)] : undefined
    if (isPlainRecord(node) && Object.hasOwn(node, segment)) return node[segment]
    return undefined
  }

  /** The slot `path` names below `node`: its holder and key. */
  const slotAt = (node: unknown, path: readonly string[]): [Holder, string | number] => {
    let at = node
    for (let i = 0; i < path.length - 1; i++) at = child(at, path[i]!)
    const last = path[path.length - 1]!
    if (child(at, last) === undefined)
      throw new TypeError(`superjson metadata path ${where(path)} does not lead to a value in the payload`)
    return Array.isArray(at) ? [at, Number(last)] : [at as Record<string, unknown>, last]
  }

  const get = (holder: Holder, key: string | number) => (holder as Record<string | number, unknown>)[key]
  const set = (holder: Holder, key: string | number, v: unknown) => {
    ;(holder as Record<string | number, unknown>)[key] = v
    if (typeof v === 'object' && v !== null && pending.has(v)) slots.push([holder, key])
  }

  const convert = (holder: Holder, key: string | number, type: TypeAnnotation, path: string) => {
    work.steps++
    const v = get(holder, key)
    if (typeof v === 'object' && v !== null && pending.has(v))
      throw new TypeError(`superjson metadata annotates the value at "${path}" twice`)
    if (typeof type === 'string' && CONTAINERS.has(type)) {
      if (type === 'Error' ? !isPlainRecord(v) : !Array.isArray(v))
        throw new TypeError(`superjson metadata says the value at "${path}" is a ${type}, but it is not`)
      pending.set(v as object, type)
      slots.push([holder, key])
      return
    }
    // A value converted once is no longer JSON: converting it again is refused, so overlapping paths
    // cannot make one large value cost its size many times.
    const isJson =
      v == null ||
      typeof v === 'string' ||
      typeof v === 'number' ||
      typeof v === 'boolean' ||
      isPlainRecord(v)
    if (!isJson && !Array.isArray(v))
      throw new TypeError(`superjson metadata annotates the value at "${path}" twice`)
    if (Array.isArray(type) && type[0] === 'typed-array' && !Array.isArray(v))
      throw new TypeError(
        `superjson metadata says the value at "${path}" is a typed array, but it is not a list`,
      )
    const digits = type === 'bigint' && typeof v === 'string' ? v.length - (v.startsWith('-') ? 1 : 0) : 0
    if (digits > MAX_BIGINT_DIGITS)
      throw new TypeError(
        `the BigInt at "${path}" has ${digits} digits, more than ${MAX_BIGINT_DIGITS} (MAX_BIGINT_DIGITS); ` +
          'parsing it would cost time out of proportion to its size: send it as a string',
      )
    ;(holder as Record<string | number, unknown>)[key] = decodeLeaf(v, type)
  }

  // The values tree, children before their parent as superjson does, each path relative to its parent.
  const applyTree = (tree: unknown, holder: Holder, key: string | number, path: string) => {
    if (Array.isArray(tree)) {
      const [type, children] = tree as [TypeAnnotation, Record<string, unknown>?]
      if (children) applyChildren(children, get(holder, key), path)
      convert(holder, key, type, path)
    } else applyChildren(tree as Record<string, unknown>, get(holder, key), path)
  }
  const applyChildren = (children: Record<string, unknown>, node: unknown, path: string) => {
    for (const [k, sub] of Object.entries(children)) {
      const segments = parsePath(k, legacy)
      const [holder, key] = slotAt(node, segments)
      applyTree(sub, holder, key, path === '' ? k : `${path}.${k}`)
    }
  }
  if (meta.values !== undefined) applyTree(meta.values, root, 0, '')

  // Shared references: the first path is the object; the others get it.
  const eq = meta.referentialEqualities
  const share = (from: unknown, paths: readonly string[]) => {
    for (const p of paths) {
      const [holder, key] = slotAt(root[0], parsePath(p, legacy))
      set(holder, key, from)
    }
  }
  if (Array.isArray(eq)) {
    share(root[0], eq[0])
    if (eq[1]) for (const [p, paths] of Object.entries(eq[1])) share(valueAt(p), paths)
  } else if (eq) for (const [p, paths] of Object.entries(eq)) share(valueAt(p), paths)
  function valueAt(p: string): unknown {
    const [holder, key] = slotAt(root[0], parsePath(p, legacy))
    return get(holder, key)
  }

  if (pending.size === 0) return root[0]
  // Build each Set, Map and Error empty first so that shared and circular references to it resolve to
  // the one built object, then put the built objects in every slot, then fill them.
  const built = new Map<object, unknown>()
  for (const [node, type] of pending) {
    const n = node as Record<string, unknown>
    built.set(
      node,
      type === 'set'
        ? new Set()
        : type === 'map'
          ? new Map()
          : new Error(typeof n.message === 'string' ? n.message : undefined),
    )
  }
  for (const [holder, key] of slots) {
    work.steps++
    const b = built.get(get(holder, key) as object)
    if (b !== undefined) (holder as Record<string | number, unknown>)[key] = b
  }
  for (const [node, type] of pending) {
    const b = built.get(node)
    if (type === 'set') {
      const s = b as Set<unknown>
      for (const x of node as unknown[]) s.add(x)
      work.steps += (node as unknown[]).length
    } else if (type === 'map') {
      const m = b as Map<unknown, unknown>
      for (const entry of node as unknown[]) {
        if (!Array.isArray(entry) || entry.length !== 2)
          throw new TypeError('superjson metadata names a Map whose entries are not [key, value] pairs')
        m.set(entry[0], entry[1])
      }
      work.steps += (node as unknown[]).length
    } else {
      // As superjson rebuilds an Error: its name, the stack only if sent, and a cause (own, not enumerable).
      const e = b as Error
      const n = node as Record<string, unknown>
      Object.defineProperty(e, 'cause', {
        value: n.cause,
        writable: true,
        configurable: true,
        enumerable: false,
      })
      if (typeof n.name === 'string') e.name = n.name
      e.stack = typeof n.stack === 'string' ? n.stack : undefined
      work.steps++
    }
  }
  return root[0]
}
