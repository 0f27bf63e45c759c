import { setTimeout as sleep } from 'node:timers/promises'
import * as v from 'valibot'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { type Client, RpcError, validate, withContext } from '../src/client/index.js'
import { flattenHandlers } from '../src/shared/handlers.js'
import { Session, type SessionOptions } from '../src/shared/session.js'
import { memoryPair, sessionOptions } from './memoryTransport.js'

function pair(handlers: object, host: Partial<SessionOptions> = {}) {
  const p = memoryPair()
  const base = (role: 'client' | 'host') => sessionOptions(role)
  const client = new Session(p.a, base('client'))
  const server = new Session(p.b, { ...base('host'), handlers: flattenHandlers(handlers), ...host })
  server.start()
  client.start()
  return { client, server }
}

describe('argument validation with Standard Schema (zod, valibot)', () => {
  const handlers = {
    greet: validate([z.string().min(1), z.number().int().optional()], (name, times = 1) =>
      `hi ${name}`.repeat(times),
    ),
    user: validate([v.object({ name: v.string(), age: v.pipe(v.number(), v.minValue(0)) })], (u) => u.age),
    coerce: validate([z.coerce.number()], (n) => n * 2),
    out: validate([z.number()], (n) => n, { output: z.number().max(10) }),
    ctx: validate(
      [z.string()],
      withContext((ctx, s: string) => `${s}:${ctx.path}`),
    ),
  }

  it('passes valid arguments through, as the schemas output them', async () => {
    const { client } = pair(handlers)
    expect(await client.call('greet', ['bo', 2])).toBe('hi bohi bo')
    expect(await client.call('greet', ['bo'])).toBe('hi bo')
    expect(await client.call('user', [{ name: 'a', age: 3 }])).toBe(3)
    expect(await client.call('coerce', ['21'])).toBe(42)
    expect(await client.call('ctx', ['x'])).toBe('x:ctx')
  })

  it('rejects invalid arguments with BAD_REQUEST naming the argument, the issue and its path', async () => {
    const { client } = pair(handlers)
    await expect(client.call('greet', [''])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^argument 0 is invalid: /),
      data: { argument: 0, issues: [{ path: '' }] },
    })
    const err = (await Promise.resolve(client.call('user', [{ name: 'a', age: -1 }])).catch(
      (e) => e,
    )) as RpcError
    expect(err).toBeInstanceOf(RpcError)
    expect(err.code).toBe('BAD_REQUEST')
    expect(err.message).toMatch(/^argument 0 is invalid: .* \(at \.age\)$/)
    expect(err.data).toEqual({ argument: 0, issues: [{ message: expect.any(String), path: '.age' }] })
    await expect(client.call('greet', ['a', 1, 2])).rejects.toThrow('takes at most 2 argument(s), got 3')
  })

  it('checks the output when asked (a failure is the host bug, HANDLER_ERROR)', async () => {
    const { client } = pair(handlers)
    expect(await client.call('out', [3])).toBe(3)
    await expect(client.call('out', [11])).rejects.toMatchObject({
      code: 'HANDLER_ERROR',
      message: expect.stringMatching(/^the result is invalid/),
    })
  })

  it('refuses something that is not a Standard Schema when the handler is defined', () => {
    expect(() => validate([{} as never], () => 1)).toThrow(/schema 0 is not a Standard Schema/)
  })

  it('types the client from the schemas inputs', () => {
    // Never called: the assertions are checked by the type checker (npm run typecheck).
    const types = (c: Client<typeof handlers>) => {
      expectTypeOf(c.call.greet).parameters.toEqualTypeOf<[string, (number | undefined)?]>()
      expectTypeOf(c.call.user).parameters.toEqualTypeOf<[{ name: string; age: number }]>()
      expectTypeOf(c.call.coerce).parameters.toEqualTypeOf<[unknown?]>() // accepts undefined, so optional
      expectTypeOf(c.call.ctx).parameters.toEqualTypeOf<[string]>()
      expectTypeOf(c.call.greet).returns.toEqualTypeOf<Promise<string>>()
    }
    expect(types).toBeTypeOf('function')
  })
})

describe('handler concurrency and stream limits', () => {
  it('runs at most maxConcurrentCalls handlers at once and queues the rest in order', async () => {
    let running = 0
    let peak = 0
    const order: number[] = []
    const { client, server } = pair(
      {
        work: async (i: number) => {
          running++
          peak = Math.max(peak, running)
          order.push(i)
          await sleep(5)
          running--
          return i
        },
      },
      { maxConcurrentCalls: 2 },
    )
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.call('work', [i])))
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(peak).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(server.load.incoming).toBe(0)
  })

  it('refuses calls past maxQueuedCalls with LIMIT_EXCEEDED, and a cancelled queued call never runs', async () => {
    const ran: number[] = []
    const { client } = pair(
      {
        work: async (i: number) => {
          ran.push(i)
          await sleep(20)
          return i
        },
      },
      { maxConcurrentCalls: 1, maxQueuedCalls: 2 },
    )
    const ac = new AbortController()
    const calls = [
      client.call('work', [0]),
      client.call('work', [1], { signal: ac.signal }),
      client.call('work', [2]),
      client.call('work', [3]),
    ]
    ac.abort()
    const settled = await Promise.allSettled(calls)
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as RpcError).code))).toEqual([
      0,
      'ABORTED',
      2,
      'LIMIT_EXCEEDED',
    ])
    expect((settled[3] as PromiseRejectedResult).reason.message).toMatch(
      /^Call to "work" refused: host "test" is running 1 calls and 2 more are waiting \(maxQueuedCalls 2\)/,
    )
    expect(ran).toEqual([0, 2])
  })

  it('fails a stream past maxStreams with LIMIT_EXCEEDED, and allows one again when a stream ends', async () => {
    const finished: string[] = []
    const { client } = pair(
      {
        async *s(name: string, n: number) {
          try {
            for (let i = 0; i < n; i++) yield i
          } finally {
            finished.push(name)
          }
        },
      },
      { maxStreams: 1 },
    )
    const first = client.call('s', ['first', 1000])[Symbol.asyncIterator]()
    expect(await first.next()).toEqual({ value: 0, done: false })
    await expect(
      (async () => {
        for await (const _ of client.call('s', ['second', 3])) {
        }
      })(),
    ).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('(maxStreams 1)') })
    await first.return!()
    await sleep(10)
    const third: unknown[] = []
    for await (const x of client.call('s', ['third', 3])) third.push(x)
    expect(third).toEqual([0, 1, 2])
    // The refused generator was closed before it started, so it has no finally to run.
    expect(finished).toEqual(['first', 'third'])
  })
})

describe('maxDepth', () => {
  const nest = (n: number): unknown => {
    let v: unknown = 1
    for (let i = 0; i < n; i++) v = [v]
    return v
  }

  it('accepts arguments nested exactly maxDepth deep and refuses one level more, before the handler runs', async () => {
    let ran = 0
    const { client } = pair(
      {
        take: (_v: unknown) => {
          ran++
          return 'ok'
        },
      },
      { maxDepth: 10 },
    )
    expect(await client.call('take', [nest(10)])).toBe('ok') // an argument of 10 nested arrays
    await expect(client.call('take', [nest(11)])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        'arguments of "take" nest deeper than 10 levels (maxDepth); send flatter data or raise maxDepth',
    })
    expect(ran).toBe(1)
  })

  it('refuses 100,000 levels by default without overflowing the stack', async () => {
    const { client } = pair({ take: () => 'ran' })
    await expect(client.call('take', [nest(100_000)])).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect(await client.call('take', [{ a: { b: [1, 2, { c: new Map([[1, new Set([2])]]) }] } }])).toBe('ran')
  })
})
