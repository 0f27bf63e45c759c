import { createTRPCClient } from '@trpc/client'
import type { TrpcRouter } from '../hosts/trpc'
import { FramedPort } from '../lib/framedPort'
import { spawnOverPipes, stopChild } from '../lib/pipes'
import { type BenchSession, fromBase64, hostArgs, hostNode } from '../lib/session'
import { portLink } from '../lib/trpcPort'

/**
 * The tRPC contender's browser side: `createTRPCClient` with one terminating `portLink` (the
 * trpc-chrome pattern over a `runtime.Port`-like `FramedPort`; see `lib/trpcPort.ts`). Streams are a
 * subscription; `bytes` is base64 text (tRPC has no binary over a Port).
 *
 * @example
 * const session = await startTrpc('.tmp/bench/hosts/trpc.mjs')
 */
export async function startTrpc(hostScript: string): Promise<BenchSession> {
  const piped = spawnOverPipes(hostNode(), hostArgs(hostScript))
  const port = new FramedPort(piped.fromChild, piped.toChild)
  const client = createTRPCClient<TrpcRouter>({ links: [portLink(port)] })

  const session: BenchSession = {
    hostPid: piped.child.pid!,
    add: (a, b) => client.add.query({ a, b }),
    echo: (text) => client.echo.mutate(text),
    bytes: async (length) => fromBase64(await client.bytes.query(length)),
    stream: (total, item) =>
      new Promise<number>((resolve, reject) => {
        let received = 0
        client.stream.subscribe(
          { total, item },
          {
            onData: (data) => {
              received += data.length
            },
            onComplete: () => resolve(received),
            onError: reject,
          },
        )
      }),
    maxInbound: () => port.maxBody,
    close: () => stopChild(piped),
  }
  await session.add(0, 0)
  return session
}
