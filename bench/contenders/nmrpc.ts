import type { BenchHost } from '../hosts/nmrpc'
import { childPids } from '../lib/memory'
import { type BenchSession, hostArgs } from '../lib/session'

/**
 * The nmrpc contender's browser side, exactly as a user calls it: `createClient` over `spawnHost`, both
 * imported by package name so they resolve to the built dist. `spawnHost` enforces the browser's 1 MiB
 * limit itself (it closes the Port past it), so `maxInbound` is left to it.
 *
 * @example
 * const session = await startNmrpc('.tmp/bench/hosts/nmrpc.mjs')
 */
export async function startNmrpc(hostScript: string): Promise<BenchSession> {
  const { createClient } = await import('nmrpc/client')
  const { spawnHost } = await import('nmrpc/node')
  const before = new Set(childPids())
  const client = createClient<BenchHost>(
    spawnHost(process.execPath, hostArgs(hostScript), {
      origin: 'chrome-extension://nmrpcbench/',
      stderr: 'inherit',
    }),
  )
  await client.connect()
  const hostPid = childPids().find((pid) => !before.has(pid))
  if (hostPid === undefined)
    throw new Error('nmrpc contender: spawnHost started no child process that /proc can see.')

  const session: BenchSession = {
    hostPid,
    add: (a, b) => client.call.add(a, b),
    echo: (text) => client.call.echo(text),
    bytes: (length) => client.call.bytes(length),
    async stream(total, item) {
      let received = 0
      for await (const data of client.call.stream(total, item)) received += data.length
      return received
    },
    maxInbound: () => undefined,
    close: async () => {
      client.close()
      const until = Date.now() + 2000
      while (Date.now() < until) {
        try {
          process.kill(hostPid, 0)
        } catch {
          return
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      process.kill(hostPid, 'SIGKILL')
    },
  }
  return session
}
