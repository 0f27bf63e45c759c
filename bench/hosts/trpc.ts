/**
 * Host of the tRPC contender: a tRPC 11 router served on a `FramedPort` over stdin/stdout by
 * `serveTrpc` (the trpc-chrome pattern; see `lib/trpcPort.ts`). Streams are a tRPC subscription (an
 * async generator). tRPC carries no binary without a transformer and HTTP bodies, so `bytes` returns
 * base64 text.
 */
import { initTRPC } from '@trpc/server'
import { FramedPort } from '../lib/framedPort'
import { bytesAsBase64, makeItem } from '../lib/hostWork'
import { serveTrpc } from '../lib/trpcPort'

const t = initTRPC.create()

// Casts, not validators: every bench host trusts its input alike (the raw host does too).
export const trpcRouter = t.router({
  add: t.procedure.input((v) => v as { a: number; b: number }).query(({ input }) => input.a + input.b),
  echo: t.procedure.input((v) => v as string).mutation(({ input }) => input),
  bytes: t.procedure.input((v) => v as number).query(({ input }) => bytesAsBase64(input)),
  stream: t.procedure
    .input((v) => v as { total: number; item: number })
    .subscription(async function* ({ input }) {
      const data = makeItem(input.item)
      for (let sent = 0; sent < input.total; sent += input.item) yield data
    }),
})
export type TrpcRouter = typeof trpcRouter

serveTrpc(trpcRouter, new FramedPort(process.stdin, process.stdout))
process.stdin.on('end', () => process.exit(0))
