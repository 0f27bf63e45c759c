import { describe, expectTypeOf, it } from 'vitest'
import {
  type CannotCross,
  type Client,
  createClient,
  type ReadableStreamLike,
  type RemoteStream,
  type Wire,
} from '../src/client/index.js'
import { defineHost, type HostContext, withContext } from '../src/server/index.js'

class Point {
  x = 1
  private secret = 2
  norm() {
    return this.x + this.secret
  }
}
class Service {
  private db = { drop: () => 'dropped' }
  hello(name: string) {
    return `hi ${name} ${this.db ? '' : ''}`
  }
  _internal() {
    return 1
  }
}

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
  parse: (s: string) => JSON.parse(s),
  bytes: () => Buffer.from('hi'),
  shapes: () => ({
    at: new Date(),
    p: new Point(),
    m: new Map<string, Buffer>(),
    list: [Buffer.from('a')] as const,
    fn: () => 1,
    err: new RangeError('x'),
    big: 1n,
    maybe: undefined as string | undefined,
  }),
  svc: new Service(),
  _hidden: () => 1,
  '#alsoHidden': () => 1,
  nothing: () => {},
  boom: (): never => {
    throw new Error('x')
  },
  withCallback: (n: number, _cb: () => void) => n,
  maybeCallback: (_cb?: (x: number) => void) => 1,
  tag: (_s: symbol | string) => 1,
  many: (_fns: Array<() => void>, _pair: [number, symbol]) => 1,
  options: (_o: { at: Date; onDone?: () => void }) => 1,
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

  it('keeps stream parameters, and takes a ReadableStream where the host takes an AsyncIterable', () => {
    expectTypeOf(client.call.upload).parameters.toEqualTypeOf<
      [string, AsyncIterable<Uint8Array> | ReadableStreamLike<Uint8Array>]
    >()
    void client.call.upload('f', new ReadableStream<Uint8Array>())
    void client.call.upload(
      'f',
      (async function* () {
        yield new Uint8Array()
      })(),
    )
    // @ts-expect-error: a stream of strings is not a stream of Uint8Array
    void client.call.upload('f', new ReadableStream<string>())
  })

  it('makes a function or a symbol argument a compile error where the types can tell', () => {
    expectTypeOf(client.call.withCallback).parameters.toEqualTypeOf<[number, CannotCross<'a function'>]>()
    // @ts-expect-error: a function cannot be sent
    void client.call.withCallback(1, () => {})
    // @ts-expect-error: nor an optional one
    void client.call.maybeCallback((x: number) => x)
    void client.call.maybeCallback()
    void client.call.maybeCallback(undefined)
    void client.call.tag('a')
    // @ts-expect-error: a symbol cannot be sent
    void client.call.tag(Symbol('a'))
    // @ts-expect-error: nor a function as an array element
    void client.call.many([() => {}], [1, 'x' as never])
    // @ts-expect-error: nor a symbol in a tuple
    void client.call.many([], [1, Symbol('a')])
    // A function property is refused at run time only: TypeScript cannot tell it from a method, such as
    // Date's, which crossing drops harmlessly.
    void client.call.options({ at: new Date() })
    void client.call.options({ at: new Date(), onDone: () => {} })
  })

  it('types a handler returning any as Promise<any>, never a stream', () => {
    expectTypeOf(client.call.parse).returns.toEqualTypeOf<Promise<ReturnType<typeof JSON.parse>>>()
    expectTypeOf(client.call.parse).returns.not.toEqualTypeOf<RemoteStream<unknown>>()
  })

  it('types results as the codec delivers them: Buffer as Uint8Array, class instances as data', () => {
    expectTypeOf(client.call.bytes).returns.toEqualTypeOf<Promise<Uint8Array>>()
    type Shapes = Awaited<ReturnType<typeof client.call.shapes>>
    expectTypeOf<Shapes['at']>().toEqualTypeOf<Date>()
    expectTypeOf<Shapes['p']>().toEqualTypeOf<{ x: number }>()
    expectTypeOf<Shapes['m']>().toEqualTypeOf<Map<string, Uint8Array>>()
    expectTypeOf<Shapes['list']>().toEqualTypeOf<[Uint8Array]>()
    expectTypeOf<Shapes['err']>().toEqualTypeOf<Error>()
    expectTypeOf<Shapes['big']>().toEqualTypeOf<bigint>()
    expectTypeOf<Shapes['maybe']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<Shapes>().not.toHaveProperty('fn')
    expectTypeOf<Wire<unknown>>().toEqualTypeOf<unknown>()
    expectTypeOf<Wire<URL>>().toEqualTypeOf<URL>()
    expectTypeOf<Wire<Int16Array>>().toEqualTypeOf<Int16Array>()
  })

  it('reaches only what the host exposes: class methods, not fields, not _ or # names', () => {
    expectTypeOf(client.call.svc.hello).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(client.call.svc).not.toHaveProperty('db')
    expectTypeOf(client.call.svc).not.toHaveProperty('_internal')
    expectTypeOf(client.call).not.toHaveProperty('_hidden')
    expectTypeOf(client.call).not.toHaveProperty('#alsoHidden')
  })

  it('checks event names and payloads when the host declares them', () => {
    const typed = defineHost({ ping: () => 1 }).withEvents<{ tick: number; blob: Buffer }>()
    const c = createClient<typeof typed>('com.acme.app')
    c.on('tick', (n) => expectTypeOf(n).toEqualTypeOf<number>())
    c.on('blob', (b) => expectTypeOf(b).toEqualTypeOf<Uint8Array>())
    // @ts-expect-error: the host declares no event "nope"
    c.on('nope', () => {})
    const untyped = createClient<typeof host>('com.acme.app')
    untyped.on('anything', (d) => expectTypeOf(d).toEqualTypeOf<unknown>())
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
