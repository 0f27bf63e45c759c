// Pieces (chunks, string parts, binary parts) that arrive for a call that already ended, or never was,
// are dropped at once: nothing of them is held until a deadline or the budget frees it. Two real sessions
// over the in-memory pair; the test plays the peer by injecting raw pieces.
import { describe, expect, it } from 'vitest'
import { flattenHandlers } from '../../src/shared/handlers.js'
import { Session } from '../../src/shared/session.js'
import { memoryPair, sessionOptions } from '../memoryTransport.js'

const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
}

function connect() {
  const pair = memoryPair({})
  const client = new Session(pair.a, sessionOptions('client', {}))
  const host = new Session(
    pair.b,
    sessionOptions('host', {
      handlers: flattenHandlers({
        ping: () => 'pong',
        async sum(items: AsyncIterable<number>) {
          let n = 0
          for await (const x of items) n += x
          return n
        },
      }),
    }),
  )
  host.start()
  client.start()
  return { pair, client, host }
}

/** Unfinished pieces of every kind for `of`/`id`/`s`: each would open a partial message if taken. */
const pieces = (of: string, id: number, s?: number) => {
  const tie = s === undefined ? { of, id } : { of, id, s }
  return [
    { t: 'chunk', k: 101, ...tie, d: 'x'.repeat(5000) },
    { t: 'str', k: 102, ...tie, d: 'y'.repeat(5000) },
    { t: 'bin', ...tie, i: 0, d: 'AAAA' },
  ]
}

describe('pieces for calls that ended', () => {
  it('a reply piece for a call that settled, or for no call, is dropped at once', async () => {
    const { pair, client } = connect()
    expect(await client.call('ping', [])).toBe('pong') // call 1, settled
    for (const id of [1, 99])
      for (const of of ['ok', 'next', 'err']) for (const p of pieces(of, id)) pair.inject('a', p)
    await settle()
    expect(client.held.partial).toBe(0)
    expect(client.load.reassemblyBytes).toBe(0)
  })

  it('a piece of an argument stream whose call ended is dropped at once', async () => {
    const { pair, client, host } = connect()
    async function* three() {
      yield 1
      yield 2
      yield 3
    }
    expect(await client.call('sum', [three()])).toBe(6) // call 1 with argument stream 0, ended
    for (const of of ['next', 'err']) for (const p of pieces(of, 1, 0)) pair.inject('b', p)
    await settle()
    expect(host.held.partial).toBe(0)
    expect(host.load.reassemblyBytes).toBe(0)
  })

  it('an envelope that announces binary parts for an ended call or argument stream reserves nothing', async () => {
    const { pair, client, host } = connect()
    async function* one() {
      yield 1
    }
    expect(await client.call('sum', [one()])).toBe(1) // call 1 with argument stream 0, ended
    // A late reply (call 1 settled, call 99 never was) and an item of the ended argument stream, each
    // announcing 1 MiB of binary parts that would be reserved if the envelope were held for them.
    for (const id of [1, 99]) pair.inject('a', { t: 'ok', id, r: null, b: [1 << 20] })
    pair.inject('b', { t: 'next', id: 1, s: 0, v: null, b: [1 << 20] })
    await settle()
    expect(client.held.binary).toBe(0)
    expect(host.held.binary).toBe(0)
  })

  it('a reply piece for a call still waiting is taken (and held until the rest comes)', async () => {
    const { pair, client } = connect()
    const call = client.call('ping', [])
    pair.hold()
    await settle()
    pair.inject('a', { t: 'chunk', k: 5, of: 'ok', id: 1, d: 'x'.repeat(5000) })
    await settle()
    expect(client.held.partial).toBeGreaterThan(5000)
    pair.release()
    expect(await call).toBe('pong')
  })
})
