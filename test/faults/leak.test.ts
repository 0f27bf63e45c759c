// After a mix of calls that succeed, fail, time out, are aborted, are broken out of and stream both ways,
// nothing is left behind: the session maps are empty, no timer or abort listener survives, and a host
// that is not told to exit exits on its own because nothing keeps its event loop alive.
import { getEventListeners, setMaxListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcError } from '../../src/shared/errors.js'
import { flattenHandlers } from '../../src/shared/handlers.js'
import { type BaseContext, Session, type SessionOptions } from '../../src/shared/session.js'
import { withContext } from '../../src/shared/withContext.js'
import { memoryPair, sessionOptions } from '../memoryTransport.js'
import { type FaultClient, startFaultClient } from './faultClient.js'
import { until } from './rawHost.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Active handles and requests by kind, e.g. { Timeout: 2, PipeWrap: 1 }. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1
  return out
}

/** Kinds of resource of which there are more now than at `baseline` (the test runner's own come and go). */
function grownSince(baseline: Record<string, number>): Record<string, number> {
  const grown: Record<string, number> = {}
  for (const [kind, n] of Object.entries(resources()))
    if (n > (baseline[kind] ?? 0)) grown[kind] = n - (baseline[kind] ?? 0)
  return grown
}

function options(role: 'client' | 'host', over: Partial<SessionOptions> = {}): SessionOptions {
  return sessionOptions(role, { streamWindow: 4, maxPendingCalls: 10_000, ...over })
}

/** Runs `fn`, swallowing its rejection: the mix below is about what is left after, not the results. */
const settle = async (fn: () => PromiseLike<unknown>) => {
  try {
    await fn()
  } catch {
    // expected for most of the mix
  }
}

async function* numbers(n: number) {
  for (let i = 0; i < n; i++) yield i
}

describe('no leaks in the session engine (both ends, in memory)', () => {
  it('a mix of calls leaves empty maps, no timers and no abort listeners', async () => {
    const baseline = resources()
    const finals: string[] = []
    const hostHandlers = {
      ok: (x: number) => x * 2,
      throws: () => {
        throw new RangeError('nope')
      },
      rejects: async () => {
        throw new RpcError('E_CUSTOM', 'custom', { data: { at: new Date(1) } })
      },
      hang: withContext(
        (ctx: BaseContext) =>
          new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      ),
      async *stream(n: number) {
        try {
          for (let i = 0; i < n; i++) yield i
        } finally {
          finals.push('stream')
        }
      },
      async *streamFails(n: number) {
        for (let i = 0; i < n; i++) yield i
        throw new TypeError('broken stream')
      },
      async sum(items: AsyncIterable<number>) {
        let s = 0
        for await (const x of items) s += x
        return s
      },
      async firstOnly(items: AsyncIterable<number>) {
        for await (const x of items) return x
        return -1
      },
      big: (n: number) => 'y'.repeat(n),
    }
    const pair = memoryPair({ maxMessageBytes: 64 * 1024 })
    const client = new Session(pair.a, options('client'))
    const host = new Session(pair.b, options('host', { handlers: flattenHandlers(hostHandlers) }))
    host.start()
    client.start()
    const shared = new AbortController()

    for (let round = 0; round < 20; round++) {
      const ac = new AbortController()
      const work: Array<Promise<unknown>> = [
        settle(() => client.call('ok', [round], { signal: shared.signal })),
        settle(() => client.call('throws', [], { signal: shared.signal })),
        settle(() => client.call('rejects', [])),
        settle(() => client.call('missing.method', [])),
        settle(() => client.call('hang', [], { timeout: 5 })),
        settle(() => client.call('hang', [], { signal: ac.signal })),
        settle(() => client.call('big', [200_000], { signal: shared.signal })),
        settle(() => client.call('sum', [numbers(50)])),
        settle(() => client.call('firstOnly', [numbers(1_000)])),
        settle(async () => {
          for await (const i of client.call('stream', [1_000]) as AsyncIterable<number>) if (i === 5) break
        }),
        settle(async () => {
          for await (const _ of client.call('stream', [10]) as AsyncIterable<number>);
        }),
        settle(async () => {
          for await (const _ of client.call('streamFails', [10]) as AsyncIterable<number>);
        }),
        settle(async () => {
          const ac2 = new AbortController()
          for await (const i of client.call('stream', [1_000], {
            signal: ac2.signal,
          }) as AsyncIterable<number>)
            if (i === 3) ac2.abort()
        }),
      ]
      await sleep(1)
      ac.abort()
      await Promise.all(work)
    }
    await until(() => host.load.incoming === 0, 'the host to finish every call', 5_000).catch(() => {})
    await host.idle()
    expect(client.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
    expect(host.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
    // Every broken-out-of or aborted generator ran its finally, and so did every finished one.
    expect(finals).toHaveLength(60)
    // The abort listeners added for calls with a signal were all removed when the calls ended.
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
    // No call timer outlives its call.
    expect(grownSince(baseline)).toEqual({})

    client.close(new RpcError('CLOSED', 'done'))
    await sleep(5)
    expect(host.isClosed).toBe(true)
    expect(grownSince(baseline)).toEqual({})
  })

  it('closing with calls in flight frees them all, on both ends', async () => {
    const baseline = resources()
    const pair = memoryPair()
    const client = new Session(pair.a, options('client'))
    const host = new Session(
      pair.b,
      options('host', {
        handlers: flattenHandlers({
          hang: withContext(
            (ctx: BaseContext) =>
              new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
              ),
          ),
          async *endless() {
            for (;;) yield 1
          },
        }),
      }),
    )
    host.start()
    client.start()
    const shared = new AbortController()
    setMaxListeners(0, shared.signal) // 500 calls share it, on purpose
    const hanging = Array.from({ length: 250 }, () =>
      client.call('hang', [], { signal: shared.signal, timeout: 60_000 }),
    )
    const reading = Array.from({ length: 250 }, async () => {
      try {
        for await (const _ of client.call('endless', [], {
          signal: shared.signal,
          timeout: 60_000,
        }) as AsyncIterable<number>)
          await sleep(1)
        return 'ended'
      } catch (e) {
        return (e as RpcError).code
      }
    })
    await sleep(5)
    expect(client.load.pending).toBe(500)
    expect(host.load.incoming).toBe(500)
    client.close(new RpcError('CLOSED', 'bye'))
    const results = await Promise.allSettled(hanging.map((c) => Promise.resolve(c)))
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as RpcError).code : 'resolved'))).toEqual(
      Array(250).fill('CLOSED'),
    )
    expect(await Promise.all(reading)).toEqual(Array(250).fill('CLOSED'))
    await sleep(5)
    await host.idle()
    expect(client.load.pending).toBe(0)
    expect(host.load.incoming).toBe(0)
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
    expect(grownSince(baseline)).toEqual({})
  })
})

describe('no leaks across a real process boundary', () => {
  let fx: FaultClient | undefined
  afterEach(() => {
    fx?.dispose()
    fx = undefined
  })

  it('after a mix of calls and close, this process is back to its baseline handles', async () => {
    const baseline = resources()
    fx = startFaultClient()
    const { client } = fx
    const shared = new AbortController()
    for (let round = 0; round < 5; round++) {
      const ac = new AbortController()
      const work = [
        settle(() => client.with({ signal: shared.signal }).call.add(round, 1)),
        settle(() => client.call.fail('x')),
        settle(() => client.with({ timeout: 20 }).call.hang(`t${round}`)),
        settle(() => client.with({ signal: ac.signal }).call.hang(`a${round}`)),
        settle(async () => {
          for await (const i of client.call.count(1_000, `b${round}`)) if (i === 5) break
        }),
        settle(() => client.with({ signal: shared.signal }).call.big(3 * 1024 * 1024)),
      ]
      await sleep(5)
      ac.abort()
      await Promise.all(work)
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
    client.close()
    await fx.allExited()
    // The host's pipes, the child process handle and spawnHost's kill timer are all gone.
    await until(
      () => Object.keys(grownSince(baseline)).length === 0,
      `handles back to ${JSON.stringify(baseline)}`,
      5_000,
    ).catch(() => {})
    expect(grownSince(baseline)).toEqual({})
    expect(fx.children[0]!.exitCode).toBe(0)
    // Every aborted or timed-out handler saw its signal fire, and every broken stream ran its finally.
    const marks = fx.marks()
    for (let round = 0; round < 5; round++) {
      expect(marks).toContain(`hang aborted t${round} CANCELLED`)
      expect(marks).toContain(`hang aborted a${round} CANCELLED`)
      expect(marks).toContain(`count finally b${round}`)
    }
  })

  it('a host that is not told to exit still exits on its own: nothing keeps its event loop alive', async () => {
    fx = startFaultClient({ env: { NMRPC_NATURAL_EXIT: '1' } })
    const { client } = fx
    const ac = new AbortController()
    const work = [
      settle(() => client.call.add(1, 2)),
      settle(() => client.with({ timeout: 20 }).call.slow(60_000, 'timer')),
      settle(() => client.with({ signal: ac.signal }).call.hang('h')),
      settle(async () => {
        for await (const i of client.call.count(1_000, 'c')) if (i === 5) break
      }),
      client
        .with({ timeout: 0 })
        .call.slow(60_000, 'left running')
        .then(
          () => 'resolved',
          (e: RpcError) => e.code,
        ),
    ]
    await sleep(50)
    ac.abort()
    await Promise.all(work.slice(0, 4))
    client.close()
    expect(await work[4]).toBe('CLOSED')
    // listen({ exitOnClose: false }): no process.exit; the process ends only if no handle or timer is left.
    await fx.allExited()
    expect(fx.children[0]!.exitCode).toBe(0)
    const marks = fx.marks()
    expect(marks).toContain('slow finally timer aborted=true')
    expect(marks).toContain('slow finally left running aborted=true')
    expect(marks.find((m) => m.startsWith('resources after close'))).toBeDefined()
  })
})
