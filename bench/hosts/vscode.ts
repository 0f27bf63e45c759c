/**
 * Host of the vscode-jsonrpc contender: a message connection over the process's stdin/stdout with
 * vscode-jsonrpc's own Content-Length framing, as every language server does. Streams use the shared
 * emulation with notifications.
 */
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node'
import { bytesAsBase64 } from '../lib/hostWork'
import { EmulatedStream } from '../lib/streamEmulation'

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
)
const streams = new Map<number, EmulatedStream>()

connection.onRequest('add', (a: number, b: number) => a + b)
connection.onRequest('echo', (text: string) => text)
connection.onRequest('bytes', (length: number) => bytesAsBase64(length))
connection.onRequest('stream', async (id: number, total: number, item: number) => {
  const producer = new EmulatedStream((data) => void connection.sendNotification('item', id, data))
  streams.set(id, producer)
  try {
    return await producer.run(total, item)
  } finally {
    streams.delete(id)
  }
})
connection.onNotification('ack', (id: number, count: number) => streams.get(id)?.ack(count))
connection.onClose(() => process.exit(0))
process.stdin.on('end', () => process.exit(0))
connection.listen()
