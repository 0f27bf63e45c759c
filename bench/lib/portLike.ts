/**
 * The slice of a WebExtension `runtime.Port` that the peer shims use (oRPC calls it `BrowserPortLike`).
 * A browser's native-messaging Port and `FramedPort` (the same thing over a pipe, for Node) both have it,
 * so the oRPC, capnweb and tRPC contenders run the same adapter code in the bench and in the extension.
 */
export interface PortLike {
  /** Sends one JSON-serialisable message; a browser JSON-encodes it, `FramedPort` does the same. */
  postMessage(message: unknown): void
  readonly onMessage: { addListener(listener: (message: unknown) => void): void }
  readonly onDisconnect: { addListener(listener: () => void): void }
  disconnect?(): void
}
