// A native messaging host written with nmrpc. A browser would start it through its host manifest; the demo
// starts it the same way with spawnHost. Everything the extension may call is in this one object.
import { setTimeout as sleep } from 'node:timers/promises'
import { defineHost, withContext } from 'nmrpc/server'

export const host = defineHost({
  ping: () => 'pong',
  add: (a: number, b: number) => a + b,
  math: {
    div: async (a: number, b: number) => {
      if (b === 0) throw new RangeError('b is 0')
      return a / b
    },
  },
  when: () => new Date(0),
  // The context (signal, caller) comes first; the extension calls slow(ms) without it.
  slow: withContext(async (ctx, ms: number) => {
    await sleep(ms, undefined, { signal: ctx.signal })
    return `waited ${ms} ms for ${ctx.caller.origin ?? 'an unknown caller'}`
  }),
  // An async generator is a stream on the other side.
  async *countdown(from: number) {
    for (let i = from; i > 0; i--) {
      await sleep(50)
      yield i
    }
  },
  bytes: (n: number) => new Uint8Array(n).fill(7),
})

export type Host = typeof host

host.listen()
