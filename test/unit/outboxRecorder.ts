import { Outbox } from '../../src/shared/outbox.js'
import { type Envelope, parseEnvelope } from '../../src/shared/protocol.js'
import type { Transport } from '../../src/shared/transport.js'
import { utf8Length } from '../../src/shared/utf8.js'

/** The message limit of {@link recorder}'s transport: small, so that a few KiB already goes in pieces. */
export const LIMIT = 4096

/**
 * An Outbox (with string parts on) over a transport of `kind` that records what it is given, for tests
 * where the Outbox is under test: `sent` in order, `parsed()` each message read back as the peer's
 * parseEnvelope reads it, and the `transport` itself (a test may replace its `send`).
 */
export function recorder(kind: 'text' | 'object'): {
  sent: Array<string | object>
  outbox: Outbox
  parsed: () => Envelope[]
  transport: Transport
} {
  const sent: Array<string | object> = []
  const transport: Transport = {
    kind,
    maxMessageBytes: LIMIT,
    start() {},
    send(m) {
      sent.push(m)
      return true
    },
    close() {},
  }
  const outbox = new Outbox(transport, utf8Length)
  outbox.stringParts = true
  const parsed = () =>
    sent.map((m) => parseEnvelope(JSON.parse(typeof m === 'string' ? m : JSON.stringify(m))))
  return { sent, outbox, parsed, transport }
}
