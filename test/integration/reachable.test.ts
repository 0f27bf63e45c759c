// Only what a user would call a handler is reachable over the wire (issue 15, section 4): checked
// against a real host process, including the names NOT_FOUND lists.
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createClient, RpcError } from '../../src/client/index.js'
import { spawnHost } from '../../src/node/index.js'
import { flattenHandlers } from '../../src/shared/handlers.js'
import type { ClassHost } from '../fixtures/classHost.js'

const hostFile = fileURLToPath(new URL('../fixtures/classHost.ts', import.meta.url))
const client = createClient<ClassHost>(spawnHost('node', ['--import', 'tsx', hostFile]))
// The untyped view: what an attacker sends, whatever the types say.
const raw = client.call as unknown as Record<string, Record<string, () => Promise<unknown>>>

afterAll(() => client.close())

describe('reachable handlers of a host with class namespaces', () => {
  it('calls prototype methods, own and inherited, bound to the instance', async () => {
    expect(await client.call.notes.list()).toEqual(['a', 'b'])
    expect(await client.call.notes.version()).toBe(1)
    expect(await client.call.ping()).toBe('pong')
  })

  // (`constructor` and `toString` are refused by the client's call proxy itself; flattenHandlers' unit
  // test below covers them on the host.)
  it.each([
    'notes.db.drop',
    'notes.db.all',
    'notes.helper',
    'notes._internal',
    'notes.hasOwnProperty',
    '_secret',
    '#private',
    'lookup.get',
  ])('refuses %s with NOT_FOUND listing only reachable names', async (path) => {
    const method = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], raw)
    const call = (method as () => Promise<unknown>)()
    await expect(call).rejects.toThrow(RpcError)
    const e = await call.then(
      () => undefined,
      (err: unknown) => err as RpcError,
    )
    expect(e?.code).toBe('NOT_FOUND')
    expect(e?.message).toContain(`No method "${path}"`)
    expect(e?.message.split('it has: ')[1]?.split(', ').sort()).toEqual([
      'notes.list',
      'notes.version',
      'ping',
    ])
  })
})

describe('flattenHandlers', () => {
  it('walks plain objects and class instances, nothing held in instance fields', () => {
    class Inner {
      run() {}
    }
    class Outer {
      inner = new Inner()
      plain = { go: () => 1 }
      #hash = 1
      go() {
        return this.#hash
      }
      get computed() {
        return () => 2
      }
    }
    const table = Object.assign(Object.create(null) as object, {
      a: { b: { c: () => 1 }, outer: new Outer() },
      arr: [() => 1],
      when: new Date(),
    })
    expect([...flattenHandlers(table).keys()].sort()).toEqual(['a.b.c', 'a.outer.go'])
  })

  it('accepts a class instance as the whole table', () => {
    class Api {
      ping() {
        return 'pong'
      }
      _hidden() {}
    }
    const table = flattenHandlers(new Api())
    expect([...table.keys()]).toEqual(['ping'])
    expect(table.get('ping')!.fn()).toBe('pong')
  })
})
