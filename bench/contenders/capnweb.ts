import { RpcSession } from 'capnweb'
import type { CapnwebApi } from '../hosts/capnweb'
import { CapnwebPortTransport } from '../lib/capnwebPort'
import { FramedPort } from '../lib/framedPort'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, hostArgs, hostNode } from '../lib/session'

/**
 * The capnweb contender's browser side: an `RpcSession` over `CapnwebPortTransport` (capnweb's
 * documented `RpcTransport` interface on a `runtime.Port`-like `FramedPort`), calling the host's main
 * `RpcTarget` through its stub. Binary and streams are capnweb's own (Uint8Array, ReadableStream).
 *
 * @example
 * const session = await startCapnweb('.tmp/bench/hosts/capnweb.mjs')
 */
export async function startCapnweb(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const port = new FramedPort(piped.fromChild, piped.toChild)
  const rpc = new RpcSession<CapnwebApi>(new CapnwebPortTransport(port))
  const api = rpc.getRemoteMain()

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: async (a, b) => await api.add(a, b),
    echo: async (text) => await api.echo(text),
    bytes: async (length) => await api.bytes(length),
    async stream(total, item) {
      const reader = (await api.stream(total, item)).getReader()
      let received = 0
      for (let next = await reader.read(); !next.done; next = await reader.read())
        received += next.value.length
      return received
    },
    maxInbound: () => port.maxBody,
    close: async () => {
      api[Symbol.dispose]()
      await stopChild(piped)
    },
  }
  await session.add(0, 0)
  return session
}
