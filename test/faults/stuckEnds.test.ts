// One end stops taking part: a handler that never returns, a consumer that never reads. The call still
// ends (timeout, abort), the cancel reaches the host, and the host's memory stays bounded meanwhile.
import { afterEach, describe, expect, it } from 'vitest'
import { type FaultClient, startFaultClient } from './faultClient.js'
import { until } from './rawHost.js'

const MiB = 1024 * 1024
let fx: FaultClient | undefined
afterEach(() => {
  fx?.dispose()
  fx = undefined
})

describe('a handler that never returns', () => {
  it('times out on the client; the cancel reaches the host and the handler signal aborts', async () => {
    fx = startFaultClient()
    const { client } = fx
    await expect(client.with({ timeout: 300 }).call.hang('t1')).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('"hang"'),
    })
    await until(() => fx!.marks().includes('hang aborted t1 CANCELLED'), 'the handler signal to fire')
    // The session is healthy afterwards.
    expect(await client.call.ping()).toBe('pong')
  })

  it('is aborted by the caller; the host handler signal fires with CANCELLED', async () => {
    fx = startFaultClient()
    const { client } = fx
    const ac = new AbortController()
    const p = client.with({ signal: ac.signal }).call.hang('a1')
    await until(() => fx!.marks().includes('hang started a1'), 'the handler to start')
    ac.abort(new Error('user left'))
    await expect(p).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringContaining('user left') })
    await until(() => fx!.marks().includes('hang aborted a1 CANCELLED'), 'the handler signal to fire')
  })

  it('is still running when the client closes: its signal fires and the host exits 0', async () => {
    fx = startFaultClient()
    const { client } = fx
    const p = client.with({ timeout: 0 }).call.hang('c1')
    await until(() => fx!.marks().includes('hang started c1'), 'the handler to start')
    client.close()
    await expect(p).rejects.toMatchObject({ code: 'CLOSED' })
    await fx.allExited()
    // close() sends a cancel before hanging up, so the signal says CANCELLED (DISCONNECTED if stdin won).
    expect(fx.marks().filter((m) => /^hang aborted c1 (CANCELLED|DISCONNECTED)$/.test(m))).toHaveLength(1)
    expect(fx.children[0]!.exitCode).toBe(0)
  })
})

describe('a consumer that never reads a stream', () => {
  it('the host producer stops at the credit window: flat RSS; cancelling runs the generator finally', async () => {
    fx = startFaultClient({ nodeArgs: ['--expose-gc'] })
    const { client } = fx
    const before = await client.call.mem(true)
    const ac = new AbortController()
    // 1 MiB items, window 16: a producer that ignored credit would have made hundreds of MiB by the end.
    void client.with({ signal: ac.signal, timeout: 0 }).call.flood(MiB, 'unread')
    const deadline = Date.now() + 15_000
    for (let produced = 0; produced < 16; produced = await client.call.produced()) {
      if (Date.now() > deadline) throw new Error(`the producer made only ${produced} items`)
      await new Promise((r) => setTimeout(r, 20))
    }
    // Give a runaway producer every chance to show itself, then look again.
    await new Promise((r) => setTimeout(r, 1_000))
    const stalled = await client.call.produced()
    const after = await client.call.mem(true)
    expect(stalled).toBeGreaterThanOrEqual(16)
    expect(stalled).toBeLessThanOrEqual(17)
    expect(after.rss - before.rss).toBeLessThan(64 * MiB)
    ac.abort()
    await until(() => fx!.marks().includes('flood finally unread'), "the generator's finally")
    expect(await client.call.ping()).toBe('pong')
  })
})
