import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/message-port'
import type { RouterClient } from '@orpc/server'
import type { OrpcRouter } from '../hosts/orpc'
import { FramedPort } from '../lib/framedPort'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, fromBase64, hostArgs, hostNode } from '../lib/session'

/**
 * The oRPC contender's browser side: `createORPCClient` over oRPC's own message-port `RPCLink`, given a
 * `FramedPort` (a `runtime.Port` over the host's pipes) exactly as an extension would give it the
 * native Port. oRPC encodes each message to a JSON string, which the Port JSON-encodes again, as a
 * browser does. Streams are oRPC event iterators; `bytes` is base64 text (oRPC has no binary a Port
 * can carry).
 *
 * @example
 * const session = await startOrpc('.tmp/bench/hosts/orpc.mjs')
 */
export async function startOrpc(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const port = new FramedPort(piped.fromChild, piped.toChild)
  const client: RouterClient<OrpcRouter> = createORPCClient(new RPCLink({ port }))

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: (a, b) => client.add({ a, b }),
    echo: (text) => client.echo(text),
    bytes: async (length) => fromBase64(await client.bytes(length)),
    async stream(total, item) {
      let received = 0
      for await (const data of await client.stream({ total, item })) received += data.length
      return received
    },
    maxInbound: () => port.maxBody,
    close: () => stopChild(piped),
  }
  await session.add(0, 0)
  return session
}
