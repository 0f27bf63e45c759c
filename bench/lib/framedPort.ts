import type { Readable, Writable } from 'node:stream'
import { encodeFrame, FrameReader } from './framing'
import type { PortLike } from './portLike'

/**
 * A native-messaging Port over a pipe, doing what a browser does for an extension's `runtime.Port`:
 * `postMessage(value)` JSON-encodes the value into one 4-byte-length frame, and every frame that arrives
 * is JSON-parsed and handed to the `onMessage` listeners. The host side wraps its stdin/stdout in the
 * same class. It adds nothing a browser would not do, so a library's own Port adapter (oRPC's
 * `BrowserPortLike`, for one) runs over it unchanged.
 *
 * @example
 * const port = new FramedPort(process.stdin, process.stdout)
 * port.onMessage.addListener((m) => port.postMessage(m))
 */
export class FramedPort implements PortLike {
  private readonly messageListeners: Array<(message: unknown) => void> = []
  private readonly disconnectListeners: Array<() => void> = []
  private readonly reader: FrameReader
  private closed = false

  readonly onMessage = {
    addListener: (listener: (message: unknown) => void) => void this.messageListeners.push(listener),
  }
  readonly onDisconnect = {
    addListener: (listener: () => void) => void this.disconnectListeners.push(listener),
  }

  constructor(
    input: Readable,
    private readonly output: Writable,
  ) {
    this.reader = new FrameReader((body) => {
      const message: unknown = JSON.parse(body)
      for (const listener of this.messageListeners) listener(message)
    })
    input.on('data', (chunk: Buffer) => this.reader.push(chunk))
    input.once('end', () => this.disconnected())
    input.once('close', () => this.disconnected())
  }

  /** Largest body received so far, in bytes (the harness holds every contender to the 1 MiB rule). */
  get maxBody(): number {
    return this.reader.maxBody
  }

  postMessage(message: unknown): void {
    if (this.closed) throw new Error('FramedPort: postMessage after the port was disconnected.')
    this.output.write(encodeFrame(JSON.stringify(message)))
  }

  disconnect(): void {
    this.output.end()
    this.disconnected()
  }

  private disconnected(): void {
    if (this.closed) return
    this.closed = true
    for (const listener of this.disconnectListeners) listener()
  }
}
