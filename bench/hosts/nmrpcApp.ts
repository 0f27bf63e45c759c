/**
 * Host of the nmrpc app-mode contender: the same handlers as `nmrpc.ts`, served as a running app with
 * `serve()` instead of `listen()`. The driver starts it, waits for "ready", and reaches it through the
 * built `nmrpc relay`, as a browser would. BENCH_APP_NAME names it; XDG_RUNTIME_DIR says where it listens.
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
export type BenchAppHost = typeof host

host.serve({ name: process.env.BENCH_APP_NAME ?? 'com.nmrpc.bench' }).then(
  () => process.stdout.write('ready\n'),
  (e: Error) => {
    process.stderr.write(`bench app: ${e.message}\n`)
    process.exit(3)
  },
)
