import { createBirpc } from 'birpc'
import type { BirpcClientFunctions, BirpcHostFunctions } from '../hosts/birpc'
import { encodeFrame, FrameReader } from '../lib/framing'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, fromBase64, hostArgs, hostNode } from '../lib/session'
import { StreamSink } from '../lib/streamEmulation'

/**
 * The birpc contender's browser side: `createBirpc` with post/on over browser framing and JSON, with
 * birpc's defaults otherwise (as a user would write it). Streams use the shared emulation.
 *
 * @example
 * const session = await startBirpc('.tmp/bench/hosts/birpc.mjs')
 */
export async function startBirpc(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const sinks = new Map<number, StreamSink>()
  let nextStream = 1
  let reader: FrameReader | undefined

  const clientFunctions: BirpcClientFunctions = {
    item(stream, data) {
      sinks.get(stream)?.item(data)
    },
  }
  const rpc = createBirpc<BirpcHostFunctions, BirpcClientFunctions>(clientFunctions, {
    post: (data: string) => piped.toChild.write(encodeFrame(data)),
    on: (handler: (data: string) => void) => {
      reader = new FrameReader(handler)
      const into = reader
      piped.fromChild.on('data', (chunk: Buffer) => into.push(chunk))
    },
    serialize: JSON.stringify,
    deserialize: JSON.parse,
    eventNames: ['ack'],
  })
  piped.child.once('exit', (code, signal) => rpc.$close(new Error(`birpc host exited (${code ?? signal})`)))

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: (a, b) => rpc.add(a, b),
    echo: (text) => rpc.echo(text),
    bytes: async (length) => fromBase64(await rpc.bytes(length)),
    async stream(total, item) {
      const id = nextStream++
      const sink = new StreamSink((k) => void rpc.ack(id, k))
      sinks.set(id, sink)
      try {
        await rpc.stream(id, total, item)
        return sink.received
      } finally {
        sinks.delete(id)
      }
    },
    maxInbound: () => reader?.maxBody ?? 0,
    close: async () => {
      rpc.$close()
      await stopChild(piped)
    },
  }
  await session.add(0, 0)
  return session
}
