// The slice of the WebExtension API the e2e extension uses, typed locally so the test does not need
// @types/chrome and does not clash with whatever globals the library declares.

export interface NativePort {
  readonly name: string
  /** Firefox puts the reason for a disconnect here. */
  readonly error?: { readonly message: string } | null
  postMessage(message: unknown): void
  disconnect(): void
  readonly onMessage: { addListener(fn: (message: unknown) => void): void }
  readonly onDisconnect: { addListener(fn: (port: NativePort) => void): void }
}

interface Runtime {
  connectNative(name: string): NativePort
  readonly lastError?: { readonly message?: string } | undefined
  getURL(path: string): string
  readonly id: string
}

/** `chrome.runtime` in Chromium; Firefox offers the same object under `chrome` and `browser`. */
export function runtime(): Runtime {
  const g = globalThis as unknown as { chrome?: { runtime?: Runtime }; browser?: { runtime?: Runtime } }
  const rt = g.browser?.runtime ?? g.chrome?.runtime
  if (!rt) throw new Error('No chrome.runtime or browser.runtime here: this code must run in an extension.')
  return rt
}

/** The text a browser gives for a closed Port: `lastError` in Chromium, `port.error` in Firefox. */
export function disconnectReason(port: NativePort): string {
  const g = globalThis as unknown as { chrome?: { runtime?: Runtime } }
  return port.error?.message ?? g.chrome?.runtime?.lastError?.message ?? 'disconnected without a reason'
}
