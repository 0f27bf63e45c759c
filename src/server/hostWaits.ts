import { type TraceOption, traceTransport } from '../shared/trace.js'
import type { Transport } from '../shared/transport.js'

// What listen() and serve() share around a session: tracing its transport, and bounded waits on close.

/** The transport, traced when `option` (or NMRPC_TRACE=1) asks for it; `side` names this end in each line. */
export function maybeTraced(
  transport: Transport,
  option: TraceOption | undefined,
  side: string,
  log: (line: string) => void,
): Transport {
  const trace = option ?? process.env.NMRPC_TRACE === '1'
  if (!trace) return transport
  return traceTransport(transport, { side, log: trace === true ? log : trace, byteLength: Buffer.byteLength })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Waits for `p`, or `ms`, whichever comes first; never rejects. */
export function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ]).finally(() => clearTimeout(timer))
}
