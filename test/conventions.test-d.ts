import { describe, expectTypeOf, it } from 'vitest'
import {
  type ClientCallContext,
  type ClientMiddleware,
  createClient,
  type PortFactory,
} from '../src/client/index.js'
import {
  type AddedBy,
  defineHost,
  type HostCallContext,
  type HostContext,
  hostMiddleware,
  withContext,
} from '../src/server/index.js'

const auth = hostMiddleware<{ user: string }>((ctx, next) => {
  expectTypeOf(ctx).toExtend<HostCallContext>()
  expectTypeOf(ctx.path).toEqualTypeOf<string>()
  expectTypeOf(ctx.args).toEqualTypeOf<readonly unknown[]>()
  // @ts-expect-error: a middleware that adds fields must pass them
  void next()
  // @ts-expect-error: the added fields are typed
  void next({ user: 1 })
  return next({ user: 'alice' })
})
const role = hostMiddleware<{ role: 'admin' | 'user' }, { user: string }>((ctx, next) => {
  expectTypeOf(ctx.user).toEqualTypeOf<string>()
  return next({ role: ctx.user === 'alice' ? 'admin' : 'user' })
})

type Ctx = HostContext & AddedBy<typeof auth> & AddedBy<typeof role>
const host = defineHost(
  {
    whoami: withContext((ctx: Ctx, loud: boolean) => (loud ? ctx.user.toUpperCase() : ctx.role)),
    plain: withContext((ctx, n: number) => {
      expectTypeOf(ctx).toEqualTypeOf<HostContext>()
      return n
    }),
  },
  { use: [auth, role, (ctx, next) => (ctx.path === 'x' ? 1 : next())] },
)
host.use(async (ctx, next) => {
  expectTypeOf(ctx.caller.browser).toBeString()
  return next()
})

describe('middleware types', () => {
  it('fields added by middleware type the handler context, and callers do not see them', () => {
    expectTypeOf<AddedBy<typeof auth>>().toEqualTypeOf<{ user: string }>()
    const client = createClient<typeof host>((() => undefined) as unknown as PortFactory)
    expectTypeOf(client.call.whoami).parameters.toEqualTypeOf<[boolean]>()
    expectTypeOf(client.call.whoami).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(client.call.plain).parameters.toEqualTypeOf<[number]>()
  })

  it('client middleware sees path, args and options', () => {
    const mw: ClientMiddleware = (ctx, next) => {
      expectTypeOf(ctx).toEqualTypeOf<ClientCallContext>()
      expectTypeOf(ctx.options.timeout).toEqualTypeOf<number | undefined>()
      return next()
    }
    createClient<typeof host>('com.acme.app', { use: [mw], trace: true })
  })
})

describe('events and disposal types', () => {
  const h = defineHost({}).withEvents<{ tick: { n: number } }>()
  const client = createClient<typeof h>('com.acme.app')
  it('events(name) yields the payload type of that name', () => {
    expectTypeOf(client.events('tick')).toEqualTypeOf<AsyncIterableIterator<{ n: number }>>()
  })
  it('the client and the host are disposable', () => {
    expectTypeOf(client).toExtend<AsyncDisposable & Disposable>()
    expectTypeOf(h).toExtend<AsyncDisposable & Disposable>()
  })
})
