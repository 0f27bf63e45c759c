/**
 * Host of the nmrpc contender, written as a user would: `defineHost` with plain functions and an async
 * generator, served on stdin/stdout by `listen()`. Imported by package name, so it runs the built dist.
 */
import { defineHost } from 'nmrpc/server'
import { makeBytes, makeItem } from '../lib/hostWork'

const host = defineHost({
  add: (a: number, b: number) => a + b,
  echo: (text: string) => text,
  bytes: (length: number) => makeBytes(length),
  async *stream(total: number, item: number) {
    const data = makeItem(item)
    for (let sent = 0; sent < total; sent += item) yield data
  },
})
export type BenchHost = typeof host

host.listen()
