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

/**
 * Waits for `p`, or `ms`, whichever comes first (rejects if `p` does). A wait that is over already, the
 * usual case when a host closes with nothing owed, sets no timer: a built host's start then never loads
 * node's timers for it (callgrind, bench/coldStart.ts).
 */
export async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let done = false
  const watched = p.then(() => {
    done = true
  })
  // p's reaction was queued before this await's, so it has run if p had settled.
  await undefined
  if (done) return
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([watched, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  } finally {
    clearTimeout(timer)
  }
}
