/**
 * The part of a WebExtension `runtime.Port` nmrpc uses. `chrome.runtime.connectNative()` and
 * `browser.runtime.connectNative()` return one; so does `spawnHost()` from `nmrpc/node`.
 */
export interface PortLike {
  postMessage(message: unknown): void
  disconnect(): void
  onMessage: { addListener(listener: (message: unknown) => void): void }
  onDisconnect: { addListener(listener: (port: PortLike) => void): void }
  /** Firefox (and spawnHost) put the reason for a disconnect here. */
  error?: { message?: string } | null
}

/** A function that opens a new Port each time it is called (a new host process, for native messaging). */
export type PortFactory = (() => PortLike) & {
  /** Name for messages, e.g. the host name or the spawned command. */
  hostName?: string
}

interface RuntimeLike {
  connectNative?: (name: string) => PortLike
  lastError?: { message?: string }
}

function runtimes(): RuntimeLike[] {
  const g = globalThis as { browser?: { runtime?: RuntimeLike }; chrome?: { runtime?: RuntimeLike } }
  const out: RuntimeLike[] = []
  if (g.browser?.runtime) out.push(g.browser.runtime)
  if (g.chrome?.runtime) out.push(g.chrome.runtime)
  return out
}

/** Thrown where no extension API exists (a web page, Node): its message is complete as it stands. */
export class NoExtensionApiError extends TypeError {}

/** Opens a native Port with whichever extension API is present (`browser.*` first, then `chrome.*`). */
export function connectNative(name: string): PortLike {
  const runtime = runtimes().find((r) => typeof r.connectNative === 'function')
  if (!runtime)
    throw new NoExtensionApiError(
      `no extension API here (runtime.connectNative is missing), so native host "${name}" cannot be started. ` +
        'Use nmrpc/client in an extension page or service worker whose manifest has the "nativeMessaging" ' +
        "permission, or pass a port factory (e.g. spawnHost(...) from 'nmrpc/node')",
    )
  return runtime.connectNative!(name)
}

/**
 * Why a Port closed, in the browser's own words: Firefox sets `port.error`; Chromium sets
 * `runtime.lastError`, readable only inside the onDisconnect listener (reading it also keeps Chromium from
 * logging "Unchecked runtime.lastError").
 */
export function portErrorMessage(port: PortLike): string | undefined {
  if (port.error?.message) return port.error.message
  for (const r of runtimes()) if (r.lastError?.message) return r.lastError.message
  return undefined
}
