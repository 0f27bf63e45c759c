import { makeItem } from './hostWork'
import { STREAM_ACK_EVERY, STREAM_WINDOW } from './session'

/**
 * The producer half of the stream emulation: sends `total / item` items through `send`, never more than
 * `STREAM_WINDOW` ahead of the acknowledgements given to `ack`.
 *
 * @example
 * const stream = new EmulatedStream((data) => notify('item', id, data))
 * onAck = (n) => stream.ack(n)
 * await stream.run(total, size)
 */
export class EmulatedStream {
  private credit = STREAM_WINDOW
  private wake: (() => void) | undefined

  constructor(private readonly send: (item: string) => void) {}

  ack(count: number): void {
    this.credit += count
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  async run(total: number, size: number): Promise<number> {
    const item = makeItem(size)
    let sent = 0
    while (sent < total) {
      while (this.credit <= 0) await new Promise<void>((resolve) => (this.wake = resolve))
      this.credit--
      this.send(item)
      sent += size
    }
    return sent
  }
}

/**
 * The consumer half of the stream emulation: counts what arrives and acknowledges every
 * `STREAM_ACK_EVERY` items through `ack`; `done` resolves with the count once the host's call returns.
 *
 * @example
 * const sink = new StreamSink((n) => notify('ack', id, n))
 * onItem = (data) => sink.item(data)
 */
export class StreamSink {
  received = 0
  private unacked = 0

  constructor(private readonly ack: (count: number) => void) {}

  item(data: string): void {
    this.received += data.length
    if (++this.unacked >= STREAM_ACK_EVERY) {
      this.ack(this.unacked)
      this.unacked = 0
    }
  }
}
