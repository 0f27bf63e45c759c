/**
 * Host of the oRPC contender: an oRPC router served by oRPC's own message-port adapter
 * (`RPCHandler` from `@orpc/server/message-port`) on a `FramedPort` over stdin/stdout, which behaves
 * like the browser's `runtime.Port` (oRPC's documented `BrowserPortLike`). Streams are oRPC event
 * iterators (an async generator handler). oRPC has no Uint8Array type and its Blob bodies are binary
 * messages a Port cannot carry, so `bytes` returns base64 text, as oRPC's docs advise for extensions.
 */
import { os, type } from '@orpc/server'
import { RPCHandler } from '@orpc/server/message-port'
import { FramedPort } from '../lib/framedPort'
import { bytesAsBase64, makeItem } from '../lib/hostWork'

export const orpcRouter = {
  add: os.input(type<{ a: number; b: number }>()).handler(({ input }) => input.a + input.b),
  echo: os.input(type<string>()).handler(({ input }) => input),
  bytes: os.input(type<number>()).handler(({ input }) => bytesAsBase64(input)),
  stream: os.input(type<{ total: number; item: number }>()).handler(async function* ({ input }) {
    const data = makeItem(input.item)
    for (let sent = 0; sent < input.total; sent += input.item) yield data
  }),
}
export type OrpcRouter = typeof orpcRouter

new RPCHandler(orpcRouter).upgrade(new FramedPort(process.stdin, process.stdout))
process.stdin.on('end', () => process.exit(0))
