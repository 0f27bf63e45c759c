import { describe, expect, expectTypeOf, it } from 'vitest'
import { RpcError } from '../src/shared/errors.js'
import { flattenHandlers } from '../src/shared/handlers.js'
import { type BaseContext, Session, type SessionOptions } from '../src/shared/session.js'
import { withContext } from '../src/shared/withContext.js'
import { memoryPair, sessionOptions } from './memoryTransport.js'
import { assertWithin } from './messageSize.js'

const options = sessionOptions

function connect(
  hostHandlers: object,
  over: {
    client?: Partial<SessionOptions>
    host?: Partial<SessionOptions>
    kind?: 'text' | 'object'
    max?: number
  } = {},
) {
  const pair = memoryPair({ kind: over.kind, maxMessageBytes: over.max })
  const logs: string[] = []
  const client = new Session(pair.a, options('client', over.client, logs))
  const host = new Session(
    pair.b,
    options('host', { handlers: flattenHandlers(hostHandlers), ...over.host }, logs),
  )
  host.start()
  client.start()
  return { pair, client, host, logs }
}

describe('session engine', () => {
  it('correlates concurrent calls and leaves nothing pending', async () => {
    const { client, host } = connect({
      add: (a: number, b: number) => a + b,
      slowAdd: async (a: number) => a,
    })
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.call(i % 2 ? 'add' : 'slowAdd', [i, 1])),
    )
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => (i % 2 ? i + 1 : i)))
    expect(client.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
    expect(host.load).toEqual({ pending: 0, incoming: 0, reassemblyBytes: 0 })
  })

  it('lets the host call the extension, during a call and outside any call', async () => {
    const pair = memoryPair()
    const client = new Session(
      pair.a,
      options('client', { handlers: flattenHandlers({ ui: { confirm: (q: string) => `yes to ${q}` } }) }),
    )
    let hostSession!: Session
    const host = new Session(
      pair.b,
      options('host', {
        handlers: flattenHandlers({
          ask: withContext(
            async (
              ctx: BaseContext & { peer: (p: string, a: unknown[]) => PromiseLike<unknown> },
              q: string,
            ) => ctx.peer('ui.confirm', [q]),
          ),
        }),
        context: (base) => ({ ...base, peer: (p: string, a: unknown[]) => hostSession.call(p, a) }),
      }),
    )
    hostSession = host
    host.start()
    client.start()
    expect(await client.call('ask', ['unlock'])).toBe('yes to unlock')
    expect(await host.call('ui.confirm', ['outside'])).toBe('yes to outside')
    await expect(host.call('ui.nope', [])).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('delivers events both ways with codec types intact', async () => {
    const got: unknown[] = []
    const { client, host } = connect(
      {},
      {
        client: { onEvent: (n, d) => got.push(['c', n, d]) },
        host: { onEvent: (n, d) => got.push(['h', n, d]) },
      },
    )
    host.emit('vaultLocked', { at: new Date(1) })
    client.emit('focus', new Set([1]))
    await new Promise((r) => setTimeout(r, 10))
    // Each direction keeps its own order; the two directions are independent.
    expect(got).toHaveLength(2)
    expect(got).toContainEqual(['c', 'vaultLocked', { at: new Date(1) }])
    expect(got).toContainEqual(['h', 'focus', new Set([1])])
  })

  it('fails every call with both versions named when the host speaks another protocol', async () => {
    const pair = memoryPair()
    const client = new Session(pair.a, options('client'))
    pair.b.start({ message() {}, invalid() {}, closed() {}, drain() {} })
    client.start()
    const p = client.call('ping', [])
    pair.b.send(JSON.stringify({ t: 'hello', v: 2, impl: 'nmrpc/9.0.0' }))
    await expect(p).rejects.toMatchObject({ code: 'VERSION_MISMATCH' })
    await expect(p).rejects.toThrow(
      'the host speaks nmrpc protocol 2 (nmrpc/9.0.0) and the extension speaks protocol 1 (nmrpc/test); install the same major version of nmrpc on both sides',
    )
    await expect(client.call('ping', [])).rejects.toMatchObject({ code: 'VERSION_MISMATCH' })
  })

  it('answers calls from an extension of another protocol version with VERSION_MISMATCH', async () => {
    const pair = memoryPair()
    const host = new Session(pair.b, options('host', { handlers: flattenHandlers({ ping: () => 'pong' }) }))
    const got: unknown[] = []
    // Envelopes of one tick arrive as one batch (an array); flatten to look at each.
    pair.a.start({
      message: (m) => got.push(...(Array.isArray(m) ? m : [m])),
      invalid() {},
      closed() {},
      drain() {},
    })
    host.start()
    pair.a.send(JSON.stringify({ t: 'hello', v: 7 }))
    pair.a.send(JSON.stringify({ t: 'call', id: 1, p: 'ping', a: [] }))
    await new Promise((r) => setTimeout(r, 10))
    expect(got[0]).toEqual({ t: 'hello', v: 1, impl: 'nmrpc/test', f: ['str'] })
    expect(got[1]).toMatchObject({ t: 'err', id: 1, e: { code: 'VERSION_MISMATCH' } })
  })

  it('replies PROTOCOL_ERROR to a malformed call that has an id, logs the rest, and keeps going', async () => {
    const { pair, client, logs } = connect({ ping: () => 'pong' })
    const got: unknown[] = []
    const sink = pair.a.sink()!
    const orig = sink.message.bind(sink)
    sink.message = (m) => {
      got.push(...(Array.isArray(m) ? m : [m]))
      orig(m)
    }
    pair.inject('b', { t: 'call', id: 99, p: '', a: [] })
    pair.inject('b', 'not an object')
    pair.inject('b', { t: 'warp', id: 3 })
    await new Promise((r) => setTimeout(r, 10))
    expect(got).toContainEqual({
      t: 'err',
      id: 99,
      e: {
        name: 'RpcError',
        code: 'PROTOCOL_ERROR',
        message:
          'the extension sent an invalid message: "call" needs a method path "p" of 1 to 1024 characters, got ""',
      },
    })
    expect(logs).toContain(
      'nmrpc: the extension sent an invalid message: a message must be a JSON object, got "not an object"',
    )
    expect(logs.some((l) => l.includes('unknown envelope kind "warp"'))).toBe(true)
    expect(await client.call('ping', [])).toBe('pong')
  })

  it('fails a stream whose producer overruns its credit', async () => {
    const pair = memoryPair()
    const client = new Session(pair.a, options('client'))
    pair.b.start({ message() {}, invalid() {}, closed() {}, drain() {} })
    client.start()
    const call = client.call('s', [], { window: 2 })
    for (let i = 0; i < 3; i++) pair.inject('a', { t: 'next', id: 1, r: i })
    const seen: unknown[] = []
    await expect(
      (async () => {
        for await (const x of call) seen.push(x)
      })(),
    ).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
      message: 'stream "s": the producer sent more items than its credit of 2',
    })
    expect(pair.sent.some((m) => m.text.includes('"t":"cancel"'))).toBe(true)
  })

  it('keeps stream items in order when some are chunked, and interleaves a small call', async () => {
    const big = (i: number) => `${i}:${'x'.repeat(i % 3 === 0 ? 9_000 : 10)}`
    const { client } = connect(
      {
        async *items() {
          for (let i = 0; i < 30; i++) yield big(i)
        },
        ping: () => 'pong',
      },
      { max: 2048 },
    )
    const got: string[] = []
    let pong: unknown
    for await (const s of client.call('items', []) as AsyncIterable<string>) {
      got.push(s)
      if (got.length === 2) pong = await client.call('ping', [])
    }
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => big(i)))
    expect(pong).toBe('pong')
  })

  it('chunks over an object transport too (a browser Port)', async () => {
    const { client, pair } = connect({ echo: (s: string) => s }, { kind: 'object', max: 4096 })
    const s = '€'.repeat(20_000)
    expect(await client.call('echo', [s])).toBe(s)
    expect(pair.sent.filter((m) => m.text.startsWith('{"t":"chunk"')).length).toBeGreaterThan(10)
  })

  it('over an object transport, measures in string units without a walk and still chunks what does not fit', async () => {
    const { client, pair } = connect({ echo: (...args: unknown[]) => args }, { kind: 'object', max: 4096 })
    // 3,900 units, 23,400 bytes as JSON (each is written \u0001): within 4,096 units, so one message (a Port
    // serialises it; at most 6 bytes a unit). 200 numbers of 24 characters: 4,800 units, over the limit.
    const escaped = '\u0001'.repeat(3900)
    const numbers = Array.from({ length: 200 }, () => -2.2250738585072014e-308)
    expect(await client.call('echo', [escaped])).toEqual([escaped])
    const whole = pair.sent.filter((m) => m.from === 'a' && m.text.includes('"p":"echo"'))
    expect(whole.map((m) => Buffer.byteLength(m.text))).toEqual([expect.any(Number)])
    expect(Buffer.byteLength(whole[0]!.text)).toBeGreaterThan(23_400)
    pair.sent.length = 0
    expect(await client.call('echo', numbers)).toEqual(numbers)
    expect(await client.call('echo', ['small', 1, true, null])).toEqual(['small', 1, true, null])
    const fromClient = pair.sent.filter((m) => m.from === 'a')
    expect(fromClient.filter((m) => m.text.startsWith('{"t":"chunk","k"')).length).toBe(2)
    for (const m of pair.sent) assertWithin('object', JSON.parse(m.text), 4096, 'sent')
  })

  it('rejects past maxPendingCalls with LIMIT_EXCEEDED and a clear message', async () => {
    const { client, pair } = connect({ ping: () => 'pong' }, { client: { maxPendingCalls: 2 } })
    pair.hold()
    const a = client.call('ping', [])
    const b = client.call('ping', [])
    await expect(client.call('ping', [])).rejects.toThrow(
      'Call to "ping" refused: 2 calls to host "test" are already waiting (maxPendingCalls 2); wait for some to finish or raise maxPendingCalls',
    )
    pair.release()
    expect(await Promise.all([a, b])).toEqual(['pong', 'pong'])
  })

  it("on close: rejects pending calls, fires running handlers' signals, frees everything", async () => {
    let signal: AbortSignal | undefined
    const { client, host } = connect({
      wait: withContext((ctx: BaseContext) => {
        signal = ctx.signal
        return new Promise(() => {})
      }),
    })
    const p = client.call('wait', [])
    await new Promise((r) => setTimeout(r, 10))
    client.close(new RpcError('CLOSED', 'bye'))
    await expect(p).rejects.toMatchObject({ code: 'CLOSED', message: 'Call to "wait" failed: bye' })
    await new Promise((r) => setTimeout(r, 10))
    expect(signal?.aborted).toBe(true)
    expect(host.load.incoming).toBe(0)
    expect(client.load.pending).toBe(0)
  })

  it('ignores a second call reusing a running id and says so', async () => {
    const { pair, logs } = connect({ wait: () => new Promise(() => {}) })
    pair.inject('b', { t: 'call', id: 5, p: 'wait', a: [] })
    pair.inject('b', { t: 'call', id: 5, p: 'wait', a: [] })
    expect(logs).toContain(
      'nmrpc: the extension reused call id 5 while that call is still running; ignored the second',
    )
  })

  it('batches the envelopes of one tick into one message, each batch under the size limit', async () => {
    const { client, pair } = connect({ echo: (s: string) => s }, { max: 4096 })
    await client.call('echo', ['warm up'])
    pair.sent.length = 0
    const calls = Array.from({ length: 64 }, (_, i) => client.call('echo', [`${i}`.padStart(100, '.')]))
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 64 }, (_, i) => `${i}`.padStart(100, '.')))
    const fromClient = pair.sent.filter((m) => m.from === 'a')
    expect(fromClient.length).toBeGreaterThan(1) // 64 calls of ~140 bytes do not fit in one 4096-byte message
    expect(fromClient.length).toBeLessThan(16) // not one message per call
    for (const m of pair.sent) assertWithin('text', m.text, 4096, 'sent')
    const envelopes = fromClient.flatMap((m) => {
      const v = JSON.parse(m.text)
      return Array.isArray(v) ? v : [v]
    })
    expect(envelopes.map((e) => e.t)).toEqual(new Array(64).fill('call'))
  })

  it('writes a lone call at once, without waiting for the end of the tick, and batches calls made together', async () => {
    const { client, pair } = connect({ echo: (s: string) => s })
    await client.call('echo', ['warm up'])
    const fromClient = () =>
      pair.sent.filter((m) => m.from === 'a').map((m) => JSON.parse(m.text) as { t: string } | unknown[])
    pair.sent.length = 0
    const lone = client.call('echo', ['alone'])
    // Still in the same synchronous run: the call is already with the transport.
    expect(fromClient()).toMatchObject([{ t: 'call', a: ['alone'] }])
    expect(await lone).toBe('alone')
    pair.sent.length = 0
    const together = ['1', '2', '3'].map((x) => client.call('echo', [x]))
    expect(await Promise.all(together)).toEqual(['1', '2', '3'])
    // The first goes at once; the two made after it in the same tick leave as one batch.
    expect(fromClient().map((v) => (Array.isArray(v) ? v.length : 1))).toEqual([1, 2])
  })

  it('returns a native promise: a failed call nobody awaits raises no unhandled rejection, awaiting it later still rejects', async () => {
    const unhandled: unknown[] = []
    const record = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', record)
    try {
      const { client } = connect({
        boom: () => {
          throw new Error('boom')
        },
      })
      const later = client.call('boom', [])
      expect(later).toBeInstanceOf(Promise)
      client.call('missing', []) // dropped: never awaited
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
      await expect(later).rejects.toThrow('boom')
      // A stream result is read from the same object.
      expect(typeof (later as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe('function')
    } finally {
      process.off('unhandledRejection', record)
    }
  })

  it('refuses a batch inside a batch and an over-long batch, and goes on', async () => {
    const { client, pair, logs } = connect({ ping: () => 'pong' })
    pair.inject('b', [[{ t: 'call', id: 50, p: 'ping', a: [] }]])
    pair.inject('b', new Array(65_537).fill(0))
    expect(logs).toContain('nmrpc: ignored a message from the extension: a batch contained another batch')
    expect(logs).toContain(
      'nmrpc: ignored a message from the extension: a batch of 65537 envelopes is over the limit of 65536',
    )
    expect(await client.call('ping', [])).toBe('pong')
  })

  it('sends stack traces only when the handler side opts in (exposeStack)', async () => {
    const boom = () => {
      throw new TypeError('boom')
    }
    const closed = connect({ boom })
    const hidden = (await Promise.resolve(closed.client.call('boom', [])).catch((e) => e)) as RpcError
    expect(hidden).toBeInstanceOf(RpcError)
    expect(hidden.remoteStack).toBeUndefined()
    const open = connect({ boom }, { host: { exposeStack: true } })
    const shown = (await Promise.resolve(open.client.call('boom', [])).catch((e) => e)) as RpcError
    expect(shown.remoteStack).toMatch(/^TypeError: boom\n\s+at /)
    expect(shown).toMatchObject({ name: 'TypeError', message: 'boom', code: 'HANDLER_ERROR' })
  })

  it('types withContext handlers', () => {
    const h = withContext((_ctx: BaseContext, a: number) => a)
    expectTypeOf(h).parameters.toEqualTypeOf<[BaseContext, number]>()
  })
})
