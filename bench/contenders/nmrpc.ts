import type { BenchHost } from '../hosts/nmrpc'
import { type BenchSession, hostArgs, hostNode } from '../lib/session'

/**
 * The nmrpc contender's browser side, exactly as a user calls it: `createClient` over `spawnHost` (which
 * gives the host real pipes, like a browser), both imported by package name so they resolve to the built
 * dist. `spawnHost` enforces the browser's 1 MiB limit itself (it closes the Port past it), so
 * `maxInbound` is left to it.
 *
 * @example
 * const session = await startNmrpc('.tmp/bench/hosts/nmrpc.mjs')
 */
export async function startNmrpc(hostScript: string): Promise<BenchSession> {
  const { createClient } = await import('nmrpc/client')
  const { spawnHost } = await import('nmrpc/node')
  let hostPid: number | undefined
  // A host under valgrind (bench/callgrind.ts) needs far longer than 2 s to flush and exit, and a host
  // killed before it exits writes no counts.
  const slow = process.env.BENCH_HOST_WRAP !== undefined
  const client = createClient<BenchHost>(
    spawnHost(hostNode(), hostArgs(hostScript), {
      stderr: 'inherit',
      killAfter: slow ? 120_000 : 2_000,
      onSpawn: (child) => {
        hostPid = child.pid
      },
    }),
  )
  await client.connect()
  const pid = hostPid
  if (pid === undefined) throw new Error('nmrpc contender: spawnHost reported no host process (no pid).')

  const session: BenchSession = {
    hostPid: pid,
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
      // spawnHost kills a host that outlives the Port by 2 s; wait for the exit so the next run starts clean.
      const until = Date.now() + (slow ? 120_000 : 3000)
      while (Date.now() < until) {
        try {
          process.kill(pid, 0)
        } catch {
          return
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
  }
  return session
}
