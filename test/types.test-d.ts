import { describe, expectTypeOf, it } from 'vitest'
import { type Client, createClient, type RemoteStream } from '../src/client/index.js'
import { defineHost, type HostContext, withContext } from '../src/server/index.js'

const host = defineHost({
  ping: () => 'pong' as const,
  add: (a: number, b: number) => a + b,
  math: { div: async (a: number, b: number) => a / b, deep: { when: () => new Date() } },
  async *tail(file: string) {
    yield file.length
  },
  lines: async () =>
    (async function* () {
      yield 'x'
    })(),
  slow: withContext(async (ctx, ms: number) => {
    expectTypeOf(ctx).toEqualTypeOf<HostContext<unknown>>()
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
    return ms
  }),
  upload: async (name: string, data: AsyncIterable<Uint8Array>) => {
    for await (const _ of data) {
    }
    return name
  },
  version: '1.0',
  nothing: () => {},
  boom: (): never => {
    throw new Error('x')
  },
})
type Host = typeof host

declare const client: Client<(typeof host)['handlers']>

describe('client types flow from the host', () => {
  it('maps createClient<typeof host> to the handlers', () => {
    const c = createClient<Host>('com.acme.app')
    expectTypeOf(c).toEqualTypeOf<Client<Host['handlers']>>()
  })

  it('maps sync and async handlers to promises of their awaited results', () => {
    expectTypeOf(client.call.ping).returns.toEqualTypeOf<Promise<'pong'>>()
    expectTypeOf(client.call.add).parameters.toEqualTypeOf<[number, number]>()
    expectTypeOf(client.call.add).returns.toEqualTypeOf<Promise<number>>()
    expectTypeOf(client.call.math.div).returns.toEqualTypeOf<Promise<number>>()
    expectTypeOf(client.call.math.deep.when).returns.toEqualTypeOf<Promise<Date>>()
    expectTypeOf(client.call.nothing).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(client.call.boom).returns.toEqualTypeOf<Promise<never>>()
  })

  it('maps generators (and promises of async iterables) to streams', () => {
    expectTypeOf(client.call.tail).returns.toEqualTypeOf<RemoteStream<number>>()
    expectTypeOf(client.call.lines).returns.toEqualTypeOf<RemoteStream<string>>()
  })

  it('drops the context parameter of withContext handlers', () => {
    expectTypeOf(client.call.slow).parameters.toEqualTypeOf<[number]>()
    expectTypeOf(client.call.slow).returns.toEqualTypeOf<Promise<number>>()
  })

  it('keeps stream parameters', () => {
    expectTypeOf(client.call.upload).parameters.toEqualTypeOf<[string, AsyncIterable<Uint8Array>]>()
  })

  it('leaves out what is not callable and keeps with() typed', () => {
    expectTypeOf(client.call).not.toHaveProperty('version')
    expectTypeOf(client.with({ timeout: 1 }).call.add).toEqualTypeOf(client.call.add)
  })

  it('rejects wrong arguments and unknown methods at compile time', () => {
    // @ts-expect-error: b must be a number
    void client.call.add(1, '2')
    // @ts-expect-error: too few arguments
    void client.call.add(1)
    // @ts-expect-error: no such method
    void client.call.sub(1, 2)
    // @ts-expect-error: the context is not passed by callers
    void client.call.slow({} as HostContext, 5)
    // @ts-expect-error: a number is not awaited as a string
    const s: Promise<string> = client.call.add(1, 2)
    void s
  })
})
