import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createCallProxy } from '../src/shared/proxy.js'

function recorder() {
  const calls: Array<[string, unknown[]]> = []
  const proxy = createCallProxy((path, args) => {
    calls.push([path, args])
    return 'called'
  }) as Record<string, unknown> & { a: { b: { c: (...a: unknown[]) => unknown } } }
  return { calls, proxy }
}

describe('the call proxy', () => {
  it('turns nested method calls into dotted paths with their arguments', () => {
    const { calls, proxy } = recorder()
    expect(proxy.a.b.c(1, 'x')).toBe('called')
    expect((proxy as unknown as { ping: () => unknown }).ping()).toBe('called')
    expect(calls).toEqual([
      ['a.b.c', [1, 'x']],
      ['ping', []],
    ])
  })

  it('is never a thenable, so awaiting a namespace calls nothing', async () => {
    const { calls, proxy } = recorder()
    expect(proxy.then).toBeUndefined()
    expect((proxy.a as unknown as { then?: unknown }).then).toBeUndefined()
    expect(await (proxy.a as unknown)).toBe(proxy.a)
    expect(calls).toEqual([])
  })

  it('is not serialised, inspected or converted as a remote call', () => {
    const { calls, proxy } = recorder()
    expect(proxy.toJSON).toBeUndefined()
    expect(JSON.stringify({ x: 1 })).toBe('{"x":1}')
    expect(typeof inspect(proxy.a)).toBe('string')
    expect((proxy as Record<symbol, unknown>)[Symbol.toPrimitive]).toBeUndefined()
    expect((proxy as Record<symbol, unknown>)[Symbol.asyncIterator]).toBeUndefined()
    expect('a' in proxy).toBe(false)
    expect(calls).toEqual([])
  })

  it('cannot be written to, and calling the root is a clear error', () => {
    const { proxy } = recorder()
    expect(() => {
      ;(proxy as Record<string, unknown>).x = 1
    }).toThrow(TypeError)
    expect(() => (proxy as unknown as () => unknown)()).toThrow(
      'call the methods of client.call, not client.call itself',
    )
  })

  it('hands out the same proxy for the same path (no allocation per call)', () => {
    const { proxy } = recorder()
    expect(proxy.a).toBe(proxy.a)
    expect(proxy.a.b).toBe(proxy.a.b)
  })
})
