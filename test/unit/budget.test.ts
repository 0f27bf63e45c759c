// Issue 15, generated: floods of partial pieces never make a session hold more than its budget, and
// envelopes that make no sense in a call's state end that call with PROTOCOL_ERROR (never leave it
// pending, never throw). Two real sessions over the in-memory pair; the attacker injects raw envelopes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RpcError } from '../../src/shared/errors.js'
import { flattenHandlers } from '../../src/shared/handlers.js'
import { MAX_OPEN_MESSAGES } from '../../src/shared/limits.js'
import { type BaseContext, Session } from '../../src/shared/session.js'
import { withContext } from '../../src/shared/withContext.js'
import { memoryPair, sessionOptions } from '../memoryTransport.js'
import { runs } from './runs.js'

const BUDGET = 64 * 1024
/** Lets the pair deliver what is queued (it delivers in later ticks, like pipes). */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
}

function connect() {
  const pair = memoryPair({})
  const client = new Session(pair.a, sessionOptions('client', { maxHeldBytes: BUDGET }))
  const host = new Session(
    pair.b,
    sessionOptions('host', {
      maxHeldBytes: BUDGET,
      maxReassembledBytes: 32 * 1024,
      handlers: flattenHandlers({
        hang: withContext(
          (ctx: BaseContext) =>
            new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        ),
        ping: () => 'pong',
      }),
    }),
  )
  host.start()
  client.start()
  return { pair, client, host }
}

const piece = fc.record({
  k: fc.integer({ min: 1, max: MAX_OPEN_MESSAGES + 50 }),
  of: fc.constantFrom('call', 'ok', 'next', 'event', undefined),
  id: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  size: fc.constantFrom(0, 1, 100, 4_000, 20_000),
  end: fc.boolean(),
})

describe('the ledger under generated floods of partial pieces', () => {
  it('never holds more than the budget, and holds nothing once closed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 400 }), async (pieces) => {
        const { pair, client, host } = connect()
        for (const p of pieces) {
          const env: Record<string, unknown> = { t: 'chunk', k: p.k, d: 'x'.repeat(p.size) }
          if (p.of !== undefined) env.of = p.of
          if (p.id !== undefined) env.id = p.id
          if (p.end) env.end = 1
          pair.inject('b', env)
          const h = host.held
          expect(h.total).toBeLessThanOrEqual(BUDGET)
          expect(h.peak).toBeLessThanOrEqual(BUDGET)
        }
        await settle()
        client.closeWith(new RpcError('CLOSED', 'test over'))
        host.closeWith(new RpcError('CLOSED', 'test over'))
        expect(host.held.total).toBe(0)
      }),
      { numRuns: runs(300) },
    )
  })
})

// (credit with `s` goes to the caller's argument streams, so to the handler's side it names no call: ignored.)
const wrong = fc.constantFrom(
  { t: 'credit', n: 3 },
  { t: 'next', s: 0, r: 1 },
  { t: 'next', s: 2, r: 1 },
  { t: 'end', s: 1 },
  { t: 'err', s: 0, e: { name: 'Error', message: 'x', code: 'X' } },
)

describe('envelopes that make no sense in a call state', () => {
  it('sent to a running unary call: that call fails PROTOCOL_ERROR, the session goes on (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wrong, { minLength: 1, maxLength: 5 }), async (envs) => {
        const { pair, client, host } = connect()
        const call = client.call('hang', [])
        await settle()
        for (const e of envs) pair.inject('b', { ...e, id: 1 })
        await settle()
        await expect(call).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' })
        const ping = client.call('ping', [])
        await settle()
        expect(await ping).toBe('pong')
        expect(host.load.incoming).toBe(0)
      }),
      { numRuns: runs(100) },
    )
  })

  it('a result after stream items fails the stream PROTOCOL_ERROR (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.jsonValue(), async (items, value) => {
        const { pair, client } = connect()
        const call = client.call('hang', [])
        await settle()
        for (let i = 0; i < items; i++) pair.inject('a', { t: 'next', id: 1, r: i })
        pair.inject('a', { t: 'ok', id: 1, r: value })
        let got = 0
        await expect(
          (async () => {
            for await (const _ of call) got++
          })(),
        ).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' })
        expect(got).toBeLessThanOrEqual(items)
        expect(client.load.pending).toBe(0)
      }),
      { numRuns: runs(100) },
    )
  })
})
