/**
 * The call proxy: `proxy.a.b(x)` becomes `invoke('a.b', [x])`. Reading a property never calls anything,
 * and `then`, `toJSON`, symbols (including Node's inspect hook) are `undefined`, so a proxy is never
 * mistaken for a promise, serialised, or called by a console that inspects it.
 */
const NOT_REMOTE = new Set(['then', 'toJSON', 'constructor', 'valueOf', 'toString', '$$typeof', 'prototype'])

const MAX_CACHED_PATHS = 1024

export function createCallProxy(invoke: (path: string, args: unknown[]) => unknown): unknown {
  const cache = new Map<string, unknown>()
  const make = (path: string): unknown => {
    const cached = cache.get(path)
    if (cached) return cached
    // An arrow function: callable, and without the non-configurable `prototype` the traps would have to report.
    const target = () => {}
    const proxy = new Proxy(target, {
      get(_t, key) {
        if (typeof key === 'symbol' || NOT_REMOTE.has(key)) return undefined
        return make(path === '' ? key : `${path}.${key}`)
      },
      apply(_t, _this, args: unknown[]) {
        if (path === '') throw new TypeError('call the methods of client.call, not client.call itself')
        return invoke(path, args)
      },
      has: () => false,
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    })
    if (cache.size < MAX_CACHED_PATHS) cache.set(path, proxy)
    return proxy
  }
  return make('')
}
