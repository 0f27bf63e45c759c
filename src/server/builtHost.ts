// How a file made by `nmrpc build` tells the host inside it what was baked in. The built-file runtime
// (src/build/runtime.ts) sets it before it imports the author's host; `host.listen()` reads it. A global
// under a registered symbol, not a module variable: the runtime and the host may hold two copies of
// nmrpc (the author's node_modules and the one that built the file), and both must see the same value.

/** What a built host's runtime hands to `defineHost` at run time. */
export interface BuiltHostDefaults {
  /** The host name baked in by `nmrpc build --name`. */
  name: string
  /** The ids baked in by `nmrpc build --extension-id`: the default `allowedCallers` of a built host. */
  allowedCallers: readonly string[]
}

const KEY = Symbol.for('nmrpc.builtHost')

/**
 * Called by the built-file runtime before it loads the host: the baked ids become the default
 * `allowedCallers` of every host defined from then on in this process (a host that sets its own keeps it).
 *
 * @example
 * setBuiltHostDefaults({ name: "com.acme.app", allowedCallers: ["app@acme.com"] })
 */
export function setBuiltHostDefaults(d: BuiltHostDefaults): void {
  ;(globalThis as { [KEY]?: BuiltHostDefaults })[KEY] = Object.freeze({
    name: d.name,
    allowedCallers: Object.freeze([...d.allowedCallers]),
  })
}

/**
 * The baked defaults when this process is a built host, else undefined.
 *
 * @example
 * const allowed = options.allowedCallers ?? builtHostDefaults()?.allowedCallers
 */
export function builtHostDefaults(): BuiltHostDefaults | undefined {
  const d: unknown = (globalThis as { [KEY]?: unknown })[KEY]
  if (typeof d !== 'object' || d === null) return undefined
  const { name, allowedCallers } = d as Record<string, unknown>
  if (typeof name !== 'string' || !Array.isArray(allowedCallers)) return undefined
  return { name, allowedCallers: allowedCallers.filter((a): a is string => typeof a === 'string') }
}
