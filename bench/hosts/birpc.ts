/**
 * Host of the birpc contender: birpc's post/on over the same browser framing as raw, JSON as its
 * serializer. Streams use the shared emulation; the items go out as birpc events (no reply).
 */
import { createBirpc } from 'birpc'
import { encodeFrame, FrameReader } from '../lib/framing'
import { bytesAsBase64 } from '../lib/hostWork'
import { EmulatedStream } from '../lib/streamEmulation'

/** What the browser side exposes to the host. */
export interface BirpcClientFunctions {
  item(stream: number, data: string): void
}

const streams = new Map<number, EmulatedStream>()

const hostFunctions = {
  add: (a: number, b: number) => a + b,
  echo: (text: string) => text,
  bytes: (length: number) => bytesAsBase64(length),
  async stream(id: number, total: number, item: number): Promise<number> {
    const producer = new EmulatedStream((data) => void rpc.item(id, data))
    streams.set(id, producer)
    try {
      return await producer.run(total, item)
    } finally {
      streams.delete(id)
    }
  },
  ack(id: number, count: number): void {
    streams.get(id)?.ack(count)
  },
}
export type BirpcHostFunctions = typeof hostFunctions

const rpc = createBirpc<BirpcClientFunctions, BirpcHostFunctions>(hostFunctions, {
  post: (data: string) => process.stdout.write(encodeFrame(data)),
  on: (handler: (data: string) => void) => {
    const reader = new FrameReader(handler)
    process.stdin.on('data', (chunk: Buffer) => reader.push(chunk))
  },
  serialize: JSON.stringify,
  deserialize: JSON.parse,
  eventNames: ['item'],
})

process.stdin.on('end', () => process.exit(0))
