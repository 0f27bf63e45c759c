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
 * can never reach inherited properties (`constructor`, `__proto__`, `toString`). Methods of class
 * instances used as namespaces are found on their prototype and bound to the instance.
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
    for (const key of ownAndProtoKeys(obj)) {
      if (key.includes('.'))
        throw new TypeError(
          `${what}: key "${prefix}${key}" contains ".", which separates namespaces on the wire; rename it`,
        )
      const value = (obj as Record<string, unknown>)[key]
      const path = prefix + key
      if (typeof value === 'function') {
        const bound = Object.hasOwn(obj, key) ? (value as AnyFunction) : (value as AnyFunction).bind(obj)
        out.set(path, { fn: bound, contextual: isContextual(value) })
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value, `${path}.`, depth + 1)
      }
    }
    seen.delete(obj)
  }
  walk(table, '', 0)
  return out
}

function ownAndProtoKeys(obj: object): string[] {
  const keys = Object.keys(obj)
  let proto = Object.getPrototypeOf(obj)
  while (proto && proto !== Object.prototype && proto !== Function.prototype) {
    for (const k of Object.getOwnPropertyNames(proto)) {
      if (
        k !== 'constructor' &&
        !keys.includes(k) &&
        typeof Object.getOwnPropertyDescriptor(proto, k)?.value === 'function'
      )
        keys.push(k)
    }
    proto = Object.getPrototypeOf(proto)
  }
  return keys
}
