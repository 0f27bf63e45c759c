import { afterEach, describe, expect, it } from 'vitest'
import type { ClientMiddleware } from '../../src/client/index.js'
import { eventually, startFixture } from './helpers.js'

let fixture: ReturnType<typeof startFixture>
afterEach(() => fixture?.dispose())

describe('client middleware (outgoing calls, real child process)', () => {
  it('sees path, args and options; can set a default timeout and change arguments', async () => {
    const log: string[] = []
    const logging: ClientMiddleware = (ctx, next) => {
      log.push(`${ctx.path} ${JSON.stringify(ctx.args)} timeout=${ctx.options.timeout}`)
      return next()
    }
    const defaultTimeout: ClientMiddleware = (ctx, next) => {
      ctx.options.timeout ??= 2_000
      if (ctx.path === 'add') ctx.args = ctx.args.map((a) => (a as number) * 10)
      return next()
    }
    fixture = startFixture({ client: { use: [logging, defaultTimeout] } })
    const { client } = fixture
    await client.connect() // the host's start-up is not part of any call's time
    expect(await client.call.add(1, 2)).toBe(30)
    await expect(client.call.slow(60_000)).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(await client.with({ timeout: 30_000 }).call.slow(10)).toBe('done')
    expect(log).toEqual([
      'add [1,2] timeout=undefined',
      'slow [60000] timeout=undefined',
      'slow [10] timeout=30000',
    ])
  })

  it('keeps streams and break (the producer stops) through a middleware that returns next()', async () => {
    fixture = startFixture({ client: { use: [(_ctx, next) => next()] } })
    const items: number[] = []
    for await (const i of fixture.client.call.count(1_000, 5)) {
      items.push(i)
      if (i === 2) break
    }
    expect(items).toEqual([0, 1, 2])
    await eventually(
      () => fixture.marks().includes('count finally n=1000'),
      "the stream's finally on the host",
    )
  })

  it('an async middleware can await the outcome; streams still iterate; its throw rejects the call', async () => {
    const outcomes: string[] = []
    const timing: ClientMiddleware = async (ctx, next) => {
      if (ctx.path === 'fail') throw new Error('refused by the client middleware')
      try {
        const v = await next()
        outcomes.push(`${ctx.path} ok`)
        return v
      } catch (e) {
        outcomes.push(`${ctx.path} ${(e as { code?: string }).code}`)
        throw e
      }
    }
    fixture = startFixture({ client: { use: [timing] } })
    const { client } = fixture
    expect(await client.call.add(1, 2)).toBe(3)
    await expect(client.call.math.div(1, 0)).rejects.toMatchObject({ code: 'HANDLER_ERROR' })
    const items: number[] = []
    for await (const i of client.call.count(3)) items.push(i)
    expect(items).toEqual([0, 1, 2])
    await expect(client.call.fail('X')).rejects.toThrow('refused by the client middleware')
    expect(outcomes).toEqual(['add ok', 'math.div HANDLER_ERROR', 'count ok'])
  })
})

describe('client.events(name): events as an async iterable', () => {
  it('yields the events, typed, and break unsubscribes', async () => {
    fixture = startFixture()
    const { client } = fixture
    await client.connect()
    const got: number[] = []
    const reading = (async () => {
      for await (const e of client.events('tick')) {
        got.push(e.n)
        expect(e.at).toBeInstanceOf(Date)
        if (got.length === 3) break
      }
    })()
    for (let n = 1; n <= 3; n++) await client.call.emitNow(n)
    await reading
    expect(got).toEqual([1, 2, 3])
    // After break nothing listens: the client's listener table holds no "tick" entry.
    const listeners = (client as unknown as { eventListeners: Map<string, unknown> }).eventListeners
    expect(listeners.has('tick')).toBe(false)
  })

  it('drops the oldest beyond the buffer by default, or fails with overflow: error', async () => {
    fixture = startFixture()
    const { client } = fixture
    await client.connect()
    const latest = client.events('tick', { buffer: 2 })
    const strict = client.events('tick', { buffer: 2, overflow: 'error' })
    for (let n = 1; n <= 4; n++) await client.call.emitNow(n)
    expect((await latest.next()).value?.n).toBe(3)
    expect((await latest.next()).value?.n).toBe(4)
    await latest.return?.()
    await expect(strict.next()).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect(() => client.events('tick', { buffer: 0 })).toThrow('buffer 0 is not a whole number')
  })

  it('ends the loop when the client closes, and throws when the host goes away', async () => {
    fixture = startFixture()
    const { client } = fixture
    await client.connect()
    const closing = client.events('tick')
    const lost = startFixture()
    await lost.client.connect()
    const broken = lost.client.events('tick')
    client.close()
    expect(await closing.next()).toEqual({ value: undefined, done: true })
    void lost.client.call.exit(0).catch(() => {})
    await expect(broken.next()).rejects.toMatchObject({ code: 'DISCONNECTED' })
    lost.dispose()
  })
})

describe('disposal', () => {
  it('await using closes the client at the end of the scope', async () => {
    fixture = startFixture()
    const outer = fixture.client
    {
      await using client = outer
      expect(await client.call.ping()).toBe('pong')
    }
    expect(outer.state).toBe('closed')
    await expect(outer.call.ping()).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('using closes it too', () => {
    fixture = startFixture()
    const outer = fixture.client
    {
      using client = outer
      void client
    }
    expect(outer.state).toBe('closed')
  })
})

describe('host disposal', () => {
  it('await using a host closes it at the end of the scope: listen() resolves', async () => {
    const { PassThrough } = await import('node:stream')
    const { defineHost } = await import('../../src/server/index.js')
    const input = new PassThrough()
    const output = new PassThrough()
    output.resume()
    let listening: Promise<void> | undefined
    {
      await using host = defineHost({ ping: () => 'pong' }, { closeGrace: 100, log: () => {} })
      listening = host.listen({ input, output, argv: [], exitOnClose: false })
    }
    await expect(listening).resolves.toBeUndefined()
  })
})
