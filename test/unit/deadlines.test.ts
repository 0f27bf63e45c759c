// Reply deadlines share one timer per session (src/shared/deadlines.ts). These tests hold a client session
// against a raw peer (envelopes injected by hand), so each call's reply comes exactly when the test says.
// They assert only order and outcome: which call timed out, which is still waiting, and what it got.
import { describe, expect, it } from 'vitest'
import { Deadlines, type Timed } from '../../src/shared/deadlines.js'
import type { RpcError } from '../../src/shared/errors.js'
import { SessionRouter } from '../../src/shared/sessionRouter.js'
import { memoryPair, sessionOptions } from '../memoryTransport.js'

function rawPeer() {
  const pair = memoryPair()
  const client = new SessionRouter(pair.a, sessionOptions('client'))
  client.start()
  return { client, inject: (v: unknown) => pair.inject('a', v) }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Settles with the error's code, or `ok:<value>`. */
const outcome = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (v) => `ok:${String(v)}`,
    (e: RpcError) => e.code,
  )

describe('reply deadlines (one timer per session)', () => {
  it('times out a short call made after a long one, at its own deadline, and leaves the long one waiting', async () => {
    const { client, inject } = rawPeer()
    const long = outcome(client.call('x', [], { timeout: 600_000 })) // id 1
    const short = await outcome(client.call('y', [], { timeout: 30 })) // id 2
    expect(short).toBe('TIMEOUT')
    expect(client.load.pending).toBe(1)
    inject({ t: 'ok', id: 1, r: 5 })
    expect(await long).toBe('ok:5')
    expect(client.load.pending).toBe(0)
  }, 10_000)

  it('times calls out in deadline order, whatever order they were made in', async () => {
    const { client } = rawPeer()
    const order: string[] = []
    const calls = (
      [
        ['a', 300],
        ['b', 100],
        ['c', 200],
        ['d', 100],
      ] as const
    ).map(([name, timeout]) =>
      outcome(client.call(name, [], { timeout })).then((code) => order.push(`${name}:${code}`)),
    )
    await Promise.all(calls)
    expect(order).toEqual(['b:TIMEOUT', 'd:TIMEOUT', 'c:TIMEOUT', 'a:TIMEOUT'])
    expect(client.load.pending).toBe(0)
  })

  it('gives each piece of a reply a fresh deadline, and a reply that stalls mid-way its own message', async () => {
    const { client, inject } = rawPeer()
    const text = JSON.stringify({ t: 'ok', id: 1, r: 'whole' })
    const third = Math.ceil(text.length / 3)
    const piece = (i: number) => ({
      t: 'chunk',
      k: 7,
      of: 'ok',
      id: 1,
      d: text.slice(i * third, (i + 1) * third),
      ...(i === 2 ? { end: 1 } : {}),
    })
    const slow = outcome(client.call('slow', [], { timeout: 400 }))
    // Each piece comes 250 ms after the last: 750 ms in all, longer than the timeout, never a gap as long.
    for (let i = 0; i < 3; i++) {
      await wait(250)
      inject(piece(i))
    }
    expect(await slow).toBe('ok:whole')

    const stalled = Promise.resolve(client.call('stalls', [], { timeout: 100 })) // id 2
    inject({ ...piece(0), k: 8, id: 2 })
    expect(client.load.reassemblyBytes).toBeGreaterThan(0)
    const error = (await stalled.catch((e: RpcError) => e)) as RpcError
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toMatch(
      /"stalls" on host "test" its reply started to arrive but no piece of it came/,
    )
    // The call held a piece, so its end dropped it.
    expect(client.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
  }, 10_000)

  it('keeps the list of the last length while it is empty, and never more than one empty list', async () => {
    const deadlines = new Deadlines()
    const expired: string[] = []
    const item = (name: string): Timed => ({
      deadline: 0,
      tList: undefined,
      tPrev: undefined,
      tNext: undefined,
      expire: () => expired.push(name),
    })
    // One at a time, as sequential calls go: each reuses the list the one before left empty.
    for (let i = 0; i < 100; i++) {
      const x = item(`seq${i}`)
      deadlines.arm(x, 60_000)
      deadlines.disarm(x)
      expect(deadlines.lists).toBe(1)
    }
    // A new length each time: the empty list of the one before is dropped.
    for (let ms = 1000; ms < 1100; ms++) {
      const x = item(`len${ms}`)
      deadlines.arm(x, ms)
      deadlines.disarm(x)
      expect(deadlines.lists).toBe(1)
    }
    // An item armed on the kept list still expires, and only it.
    deadlines.arm(item('kept'), 1099)
    const other = item('other')
    deadlines.arm(other, 20)
    deadlines.arm(item('due'), 20)
    deadlines.disarm(other)
    await wait(80)
    expect(expired).toEqual(['due'])
    deadlines.stop()
  })

  it('keeps timing out calls after the session ran idle, and stops at close', async () => {
    const { client } = rawPeer()
    expect(await outcome(client.call('a', [], { timeout: 20 }))).toBe('TIMEOUT')
    await wait(50)
    expect(await outcome(client.call('b', [], { timeout: 20 }))).toBe('TIMEOUT')
    const open = outcome(client.call('c', [], { timeout: 50 }))
    const forever = outcome(client.call('d', [], { timeout: 0 }))
    client.closeWith(
      new (await import('../../src/shared/errors.js')).RpcError('CLOSED', 'closed by the test'),
    )
    expect(await open).toBe('CLOSED')
    expect(await forever).toBe('CLOSED')
  })
})
