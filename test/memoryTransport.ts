import { superjsonCodec } from '../src/shared/codec.js'
import type { BaseContext, SessionOptions } from '../src/shared/session.js'
import type { CloseInfo, Transport, TransportSink } from '../src/shared/transport.js'
import { utf8Length } from '../src/shared/utf8.js'
import { assertWithin } from './messageSize.js'

/**
 * Two connected in-memory transports, for testing the session engine without processes. Messages are
 * serialised to JSON and delivered in a later microtask, in order; `hold()` stops delivery until `release()`.
 */
export function memoryPair(
  options: {
    kind?: 'text' | 'object'
    maxMessageBytes?: number
    /** Report backpressure after every message and drain a task later, like a stream with a full buffer. */
    backpressure?: boolean
  } = {},
) {
  const kind = options.kind ?? 'text'
  const max = options.maxMessageBytes ?? 1024 * 1024
  const sent: Array<{ from: 'a' | 'b'; text: string }> = []
  let held = false
  const queue: Array<() => void> = []
  const flush = () => {
    while (!held && queue.length) queue.shift()!()
  }
  const make = (name: 'a' | 'b') => {
    let sink: TransportSink | null = null
    let closed = false
    const t: Transport & {
      sink(): TransportSink | null
      peer?: ReturnType<typeof make>
      closeWith(info: CloseInfo): void
    } = {
      kind,
      maxMessageBytes: max,
      start(s) {
        sink = s
      },
      send(message) {
        if (closed) return true
        const text = typeof message === 'string' ? message : JSON.stringify(message)
        assertWithin(kind, message, max, 'memoryPair')
        sent.push({ from: name, text })
        const peer = t.peer!
        queue.push(() => {
          if (!closed) peer.sink()?.message(JSON.parse(text))
        })
        queueMicrotask(flush)
        if (!options.backpressure) return true
        setImmediate(() => sink?.drain())
        return false
      },
      close() {
        if (closed) return
        closed = true
        queueMicrotask(() => t.peer!.closeWith({ message: `${name} closed` }))
      },
      sink: () => sink,
      closeWith(info) {
        closed = true
        sink?.closed(info)
      },
    }
    return t
  }
  const a = make('a')
  const b = make('b')
  a.peer = b
  b.peer = a
  return {
    a,
    b,
    sent,
    hold() {
      held = true
    },
    release() {
      held = false
      flush()
    },
    /** Delivers a raw value to `to`'s session as if the other side had sent it. */
    inject(to: 'a' | 'b', value: unknown) {
      ;(to === 'a' ? a : b).sink()?.message(value)
    },
  }
}

/**
 * Session options for tests, as the faces would make them (host named "test"), with `over` on top.
 * Diagnostic lines go into `logs` when given.
 */
export function sessionOptions(
  role: 'client' | 'host',
  over: Partial<SessionOptions> = {},
  logs?: string[],
): SessionOptions {
  return {
    role,
    peer: role === 'client' ? 'host "test"' : 'the extension',
    self: role === 'client' ? 'the extension' : 'host "test"',
    handlers: undefined,
    codec: superjsonCodec(),
    timeout: 5_000,
    streamWindow: 16,
    maxPendingCalls: 10_000,
    maxReassembledBytes: 1 << 24,
    exposeStack: false,
    impl: 'nmrpc/test',
    byteLength: utf8Length,
    log: (line) => logs?.push(line),
    context: (base: BaseContext) => base,
    ...over,
  }
}
