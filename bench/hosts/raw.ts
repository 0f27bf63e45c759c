/**
 * Host of the "raw framing" contender: the practical limit. Browser framing, an id per call, JSON at both
 * ends, and nothing else (no validation, no codec, no timers).
 */
import { encodeFrame, FrameReader } from '../lib/framing'
import { bytesAsBase64 } from '../lib/hostWork'
import { EmulatedStream } from '../lib/streamEmulation'

type Inbound = { id: number; m: string; a: unknown[] } | { ack: number; k: number }

const streams = new Map<number, EmulatedStream>()

function send(message: unknown): void {
  process.stdout.write(encodeFrame(JSON.stringify(message)))
}

async function stream(id: number, total: number, item: number): Promise<number> {
  const producer = new EmulatedStream((data) => send({ s: id, d: data }))
  streams.set(id, producer)
  try {
    return await producer.run(total, item)
  } finally {
    streams.delete(id)
  }
}

function dispatch(id: number, method: string, args: unknown[]): unknown {
  switch (method) {
    case 'add':
      return (args[0] as number) + (args[1] as number)
    case 'echo':
      return args[0]
    case 'bytes':
      return bytesAsBase64(args[0] as number)
    case 'stream':
      return stream(id, args[0] as number, args[1] as number)
    default:
      throw new Error(`raw host: no method "${method}"`)
  }
}

const reader = new FrameReader((body) => {
  const message: Inbound = JSON.parse(body)
  if ('ack' in message) {
    streams.get(message.ack)?.ack(message.k)
    return
  }
  const { id } = message
  try {
    const result = dispatch(id, message.m, message.a)
    if (result instanceof Promise) {
      result.then(
        (r: unknown) => send({ id, r }),
        (e: unknown) => send({ id, e: String(e) }),
      )
    } else send({ id, r: result })
  } catch (e) {
    send({ id, e: String(e) })
  }
})

process.stdin.on('data', (chunk: Buffer) => reader.push(chunk))
process.stdin.on('end', () => process.exit(0))
