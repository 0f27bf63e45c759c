import { isContextual } from './withContext.js'

export type AnyFunction = (...args: unknown[]) => unknown

export interface HandlerEntry {
  fn: AnyFunction
  /** Receives the call context as its first argument. */
  contextual: boolean
}

const MAX_DEPTH = 16

/**
 * Flattens a handler table into `dotted.path -> handler` once, so a call resolves with one map lookup and
 * can reach nothing but what a user would call a handler:
 * - in a plain object (the table itself, or a namespace in it): its own enumerable functions, and its own
 *   enumerable objects as namespaces;
 * - in a class instance: the methods on its prototype chain, bound to the instance, up to (not including)
 *   `Object.prototype` or a built-in prototype such as `Map.prototype`. Its own fields are never walked,
 *   so a `private db` held by a service class exposes none of the db's methods;
 * - never a name starting with `_` or `#`, nor `constructor`, inherited `Object.prototype` members,
 *   getters, symbols or array elements.
 *
 * @example
 * class Notes { private db = openDb(); list() { return this.db.all() } }
 * flattenHandlers({ notes: new Notes(), ping: () => 'pong' }) // keys: "notes.list", "ping"
 *
 * @throws TypeError for a key containing "." (it would be ambiguous on the wire) or a cycle.
 */
export function flattenHandlers(table: object, what = 'handler table'): Map<string, HandlerEntry> {
  const out = new Map<string, HandlerEntry>()
  const seen = new Set<object>()
  const walk = (obj: object, prefix: string, depth: number) => {
    if (seen.has(obj))
      throw new TypeError(
        `${what}: "${prefix || '(root)'}" refers back to itself; namespaces must form a tree`,
      )
    if (depth > MAX_DEPTH)
      throw new TypeError(`${what}: namespaces nest deeper than ${MAX_DEPTH} levels at "${prefix}"`)
    seen.add(obj)
    const plain = isPlainObject(obj)
    for (const [key, value] of plain ? ownMembers(obj) : methodsOf(obj)) {
      if (key.includes('.'))
        throw new TypeError(
          `${what}: key "${prefix}${key}" contains ".", which separates namespaces on the wire; rename it`,
        )
      const path = prefix + key
      if (typeof value === 'function') {
        const fn = value as AnyFunction
        out.set(path, { fn: plain ? fn : fn.bind(obj), contextual: isContextual(value) })
      } else if (plain && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value, `${path}.`, depth + 1)
      }
    }
    seen.delete(obj)
  }
  walk(table, '', 0)
  return out
}

/** Private by convention: never reachable, whatever holds it. */
const hidden = (key: string): boolean => key.startsWith('_') || key.startsWith('#')

function isPlainObject(obj: object): boolean {
  const proto = Object.getPrototypeOf(obj)
  return proto === Object.prototype || proto === null
}

/** A plain object's own enumerable string-keyed values. */
function ownMembers(obj: object): Array<[string, unknown]> {
  return Object.keys(obj)
    .filter((k) => !hidden(k))
    .map((k) => [k, (obj as Record<string, unknown>)[k]])
}

const nativeCode = /\{\s*\[native code\]\s*\}\s*$/

/** `Object.prototype`, `Map.prototype` and the like: where a class's own methods end. */
function isBuiltinPrototype(proto: object): boolean {
  if (proto === Object.prototype || proto === Function.prototype) return true
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value
  return typeof ctor === 'function' && nativeCode.test(Function.prototype.toString.call(ctor))
}

/** The methods (data properties holding functions) on a class instance's prototype chain, nearest first. */
function methodsOf(obj: object): Array<[string, unknown]> {
  const found = new Map<string, unknown>()
  for (
    let proto = Object.getPrototypeOf(obj);
    proto !== null && !isBuiltinPrototype(proto);
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || hidden(key) || found.has(key)) continue
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value
      if (typeof value === 'function') found.set(key, value)
    }
  }
  return [...found]
}
