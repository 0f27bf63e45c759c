// The few extension APIs the example uses, typed here so the example needs no @types/chrome.
// Chromium offers them as `chrome.*`; Firefox as `browser.*` (and `chrome.*` too).

export interface RuntimePort {
  readonly name: string
  postMessage(message: unknown): void
  disconnect(): void
  readonly onMessage: { addListener(fn: (message: unknown) => void): void }
  readonly onDisconnect: { addListener(fn: () => void): void }
}

export interface ExtensionRuntime {
  sendMessage(message: unknown): Promise<unknown>
  connect(info: { name: string }): RuntimePort
  readonly onMessage: {
    addListener(
      fn: (message: unknown, sender: unknown, reply: (r: unknown) => void) => boolean | undefined,
    ): void
  }
  readonly onConnect: { addListener(fn: (port: RuntimePort) => void): void }
}

/** `browser.runtime` where it exists (Firefox), else `chrome.runtime` (Chromium). */
export function extensionRuntime(): ExtensionRuntime {
  const g = globalThis as unknown as {
    browser?: { runtime: ExtensionRuntime }
    chrome?: { runtime: ExtensionRuntime }
  }
  const runtime = g.browser?.runtime ?? g.chrome?.runtime
  if (!runtime)
    throw new Error('ping-pong: no browser.runtime or chrome.runtime; load this file as an extension.')
  return runtime
}
