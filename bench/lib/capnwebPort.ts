import type { RpcTransportWithCustomEncoding } from 'capnweb'
import type { PortLike } from './portLike'

/**
 * capnweb's `RpcTransport` over a native-messaging Port: the thinnest honest shim. capnweb's own
 * `newMessagePortRpcSession` needs a DOM `MessagePort` (`addEventListener`, `start`), which a
 * `runtime.Port` is not, so this implements its documented transport interface instead, at the
 * "jsonCompatible" encoding level: capnweb hands over a JSON-ready value tree and the Port's own JSON
 * encoding (the browser's, or `FramedPort`'s) turns it into the frame, so nothing is encoded twice.
 * Messages that arrive before capnweb asks wait in a queue (capnweb reads in a loop, so it stays short).
 *
 * @example
 * const stub = new RpcSession<Api>(new CapnwebPortTransport(port)).getRemoteMain()
 */
export class CapnwebPortTransport implements RpcTransportWithCustomEncoding {
  readonly encodingLevel = 'jsonCompatible' as const
  private readonly queue: unknown[] = []
  private head = 0
  private waiter: { resolve(message: unknown): void; reject(error: Error): void } | undefined
  private closed: Error | undefined

  constructor(private readonly port: PortLike) {
    port.onMessage.addListener((message) => {
      const waiter = this.waiter
      if (waiter) {
        this.waiter = undefined
        waiter.resolve(message)
      } else this.queue.push(message)
    })
    port.onDisconnect.addListener(() => {
      this.closed = new Error('capnweb transport: the native-messaging Port was disconnected.')
      const waiter = this.waiter
      this.waiter = undefined
      waiter?.reject(this.closed)
    })
  }

  send(message: unknown): void {
    this.port.postMessage(message)
  }

  receive(): Promise<unknown> {
    if (this.head < this.queue.length) {
      const message = this.queue[this.head++]
      if (this.head === this.queue.length) {
        this.queue.length = 0
        this.head = 0
      }
      return Promise.resolve(message)
    }
    if (this.closed) return Promise.reject(this.closed)
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  abort(): void {
    this.port.disconnect?.()
  }
}
