import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node'
import { ContentLengthWatcher } from '../lib/framing'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, fromBase64, hostArgs, hostNode } from '../lib/session'
import { StreamSink } from '../lib/streamEmulation'

/**
 * The vscode-jsonrpc contender's browser side: a message connection over the host's stdio pipes, with
 * vscode-jsonrpc's own framing (it cannot speak browser framing; this measures it as the most used stdio
 * RPC in Node). A watcher reads the Content-Length headers to hold it to the 1 MiB rule too.
 *
 * @example
 * const session = await startVscode('.tmp/bench/hosts/vscode.mjs')
 */
export async function startVscode(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const watcher = new ContentLengthWatcher()
  piped.fromChild.on('data', (chunk: Buffer) => watcher.push(chunk))
  const connection = createMessageConnection(
    new StreamMessageReader(piped.fromChild),
    new StreamMessageWriter(piped.toChild),
  )
  const sinks = new Map<number, StreamSink>()
  let nextStream = 1
  connection.onNotification('item', (id: number, data: string) => sinks.get(id)?.item(data))
  connection.listen()

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: (a, b) => connection.sendRequest<number>('add', a, b),
    echo: (text) => connection.sendRequest<string>('echo', text),
    bytes: async (length) => fromBase64(await connection.sendRequest<string>('bytes', length)),
    async stream(total, item) {
      const id = nextStream++
      const sink = new StreamSink((k) => void connection.sendNotification('ack', id, k))
      sinks.set(id, sink)
      try {
        await connection.sendRequest<number>('stream', id, total, item)
        return sink.received
      } finally {
        sinks.delete(id)
      }
    },
    maxInbound: () => watcher.maxBody,
    close: async () => {
      connection.dispose()
      await stopChild(piped)
    },
  }
  await session.add(0, 0)
  return session
}
