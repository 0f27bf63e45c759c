// The e2e bench: one echo workload through every contender that runs in an extension, each over the
// browser's own native Port to the same host programs as `npm run bench` (bench/hosts/*). The peers use
// the same adapters as the Node bench: oRPC's message-port RPCLink on the Port, capnweb's RpcSession on
// a Port transport, tRPC with the trpc-chrome-style port link.
import { createORPCClient } from '@orpc/client'
import { RPCLink } from '@orpc/client/message-port'
import type { RouterClient } from '@orpc/server'
import { createTRPCClient } from '@trpc/client'
import { RpcSession } from 'capnweb'
import { createClient } from 'nmrpc/client'
import type { CapnwebApi } from '../../../bench/hosts/capnweb'
import type { BenchHost } from '../../../bench/hosts/nmrpc'
import type { OrpcRouter } from '../../../bench/hosts/orpc'
import type { TrpcRouter } from '../../../bench/hosts/trpc'
import { CapnwebPortTransport } from '../../../bench/lib/capnwebPort'
import { portLink } from '../../../bench/lib/trpcPort'
import { BROWSER_CONTENDERS, type BrowserContender, IN_FLIGHT } from './benchContenders'
import { disconnectReason, runtime } from './webext'

interface Echoer {
  echo(payload: string): Promise<string>
  close(): void
}

/**
 * The raw baseline: a bare Port to bench/hosts/raw (an id per call, `{ id, m, a }` out and `{ id, r }`
 * back), so calls may be in flight at once, as in the Node bench's raw framing.
 */
function rawEchoer(host: string): Echoer {
  const port = runtime().connectNative(host)
  const pending = new Map<number, { resolve(v: string): void; reject(e: Error): void }>()
  let nextId = 1
  port.onMessage.addListener((message) => {
    const reply = message as { id?: unknown; r?: unknown; e?: unknown }
    if (typeof reply.id !== 'number') return
    const call = pending.get(reply.id)
    pending.delete(reply.id)
    if (typeof reply.r === 'string') call?.resolve(reply.r)
    else call?.reject(new Error(`raw host: call ${reply.id} failed: ${String(reply.e)}`))
  })
  port.onDisconnect.addListener((p) => {
    const error = new Error(`raw Port closed: ${disconnectReason(p)}`)
    for (const call of pending.values()) call.reject(error)
    pending.clear()
  })
  return {
    echo(payload) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        port.postMessage({ id, m: 'echo', a: [payload] })
      })
    },
    close: () => port.disconnect(),
  }
}

function open(contender: BrowserContender, host: string): Echoer {
  switch (contender) {
    case 'raw Port':
      return rawEchoer(host)
    case 'nmrpc': {
      const client = createClient<BenchHost>(host)
      return { echo: (p) => client.call.echo(p), close: () => client.close() }
    }
    case 'oRPC': {
      const port = runtime().connectNative(host)
      const client: RouterClient<OrpcRouter> = createORPCClient(new RPCLink({ port }))
      return { echo: (p) => client.echo(p), close: () => port.disconnect() }
    }
    case 'capnweb': {
      const port = runtime().connectNative(host)
      const api = new RpcSession<CapnwebApi>(new CapnwebPortTransport(port)).getRemoteMain()
      return {
        echo: async (p) => await api.echo(p),
        close: () => {
          api[Symbol.dispose]()
          port.disconnect()
        },
      }
    }
    case 'tRPC': {
      const port = runtime().connectNative(host)
      const client = createTRPCClient<TrpcRouter>({ links: [portLink(port)] })
      return { echo: (p) => client.echo.mutate(p), close: () => port.disconnect() }
    }
  }
}

/**
 * Echoes a `payloadBytes` string `n` times one after another (round trip), then `n` times again kept
 * `IN_FLIGHT` deep (throughput), after 50 warm-up calls; each phase timed whole (Firefox rounds
 * `performance.now()` to 1 ms, so single calls cannot be timed). Every reply is checked, so a contender
 * that drops or mangles a message fails instead of looking fast. Times are in milliseconds.
 */
export async function peerBench(
  contender: BrowserContender,
  host: string,
  n: number,
  payloadBytes: number,
): Promise<{ sequentialMs: number; inflightMs: number }> {
  if (!BROWSER_CONTENDERS.includes(contender))
    throw new Error(`peerBench: no contender "${contender}"; use one of ${BROWSER_CONTENDERS.join(', ')}.`)
  const payload = `${'x'.repeat(payloadBytes - 1)}z`
  const echoer = open(contender, host)
  const call = async () => {
    const back = await echoer.echo(payload)
    if (back.length !== payload.length || !back.endsWith('z'))
      throw new Error(
        `${contender}: echo returned ${back.length} characters, not the ${payload.length} sent.`,
      )
  }
  try {
    for (let i = 0; i < Math.min(n, 50); i++) await call()
    let t = performance.now()
    for (let i = 0; i < n; i++) await call()
    const sequentialMs = performance.now() - t
    let started = 0
    const lane = async () => {
      while (started < n) {
        started++
        await call()
      }
    }
    t = performance.now()
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, lane))
    return { sequentialMs, inflightMs: performance.now() - t }
  } finally {
    echoer.close()
  }
}
