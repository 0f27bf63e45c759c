import { encodeFrame, FrameReader } from '../lib/framing'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, fromBase64, hostArgs, hostNode } from '../lib/session'
import { StreamSink } from '../lib/streamEmulation'

type Inbound = { id: number; r?: unknown; e?: string } | { s: number; d: string }

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/**
 * The "raw framing" contender's browser side: the least an RPC over native messaging can do. Calls get
 * ids from a counter and wait in a map; every message is JSON.stringify + browser framing out and
 * FrameReader + JSON.parse in. Streams use the shared emulation (notifications + ack window).
 *
 * @example
 * const session = await startRaw('.tmp/bench/hosts/raw.mjs')
 */
export async function startRaw(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const pending = new Map<number, Pending>()
  const sinks = new Map<number, StreamSink>()
  let nextId = 1

  const reader = new FrameReader((body) => {
    const message: Inbound = JSON.parse(body)
    if ('s' in message) {
      sinks.get(message.s)?.item(message.d)
      return
    }
    const call = pending.get(message.id)
    if (!call) return
    pending.delete(message.id)
    if (message.e !== undefined) call.reject(new Error(message.e))
    else call.resolve(message.r)
  })
  piped.fromChild.on('data', (chunk: Buffer) => reader.push(chunk))
  piped.child.once('exit', (code, signal) => {
    for (const call of pending.values()) call.reject(new Error(`raw host exited (${code ?? signal})`))
    pending.clear()
  })

  function call(method: string, args: unknown[], id = nextId++): Promise<unknown> {
    piped.toChild.write(encodeFrame(JSON.stringify({ id, m: method, a: args })))
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }))
  }

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: (a, b) => call('add', [a, b]) as Promise<number>,
    echo: (text) => call('echo', [text]) as Promise<string>,
    bytes: async (length) => fromBase64((await call('bytes', [length])) as string),
    async stream(total, item) {
      const id = nextId++
      const sink = new StreamSink((k) => piped.toChild.write(encodeFrame(JSON.stringify({ ack: id, k }))))
      sinks.set(id, sink)
      try {
        await call('stream', [total, item], id)
        return sink.received
      } finally {
        sinks.delete(id)
      }
    },
    maxInbound: () => reader.maxBody,
    close: () => stopChild(piped),
  }
  await session.add(0, 0)
  return session
}
