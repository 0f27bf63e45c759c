// A session's diagnostic lines are mostly about what the peer did wrong (a bad envelope, a reused id, a
// piece over budget), so a peer decides how many there are: 200,000 bad envelopes in 6 MB made a host
// print 200,000 lines and spend 4x the CPU of as many good ones. A session's lines therefore go through a
// token bucket: a burst of LOG_BURST lines, then LOG_PER_SECOND; lines past it are counted, and the count
// is printed with the next line that gets through, or when the session closes.

import { LOG_BURST, LOG_PER_SECOND } from './limits.js'

/**
 * Wraps `log` so that at most {@link LOG_BURST} lines pass at once and {@link LOG_PER_SECOND} per
 * second after that, the lines that say how many were held back included; `flush()` prints that count, if
 * any (once, when the session closes, outside the budget). `now` is the clock in ms.
 *
 * @example
 * const log = lineBudget((l) => process.stderr.write(`${l}\n`))
 * for (let i = 0; i < 5000; i++) log.line(`bad message ${i}`) // prints 1000 lines
 * log.flush() // "nmrpc: 4000 more diagnostic lines were not printed ..."
 */
export function lineBudget(
  log: (line: string) => void,
  now: () => number = Date.now,
): { line: (text: string) => void; flush: () => void } {
  let tokens = LOG_BURST
  let last = now()
  let held = 0
  const flush = () => {
    if (held === 0) return
    log(
      `nmrpc: ${held} more diagnostic lines were not printed (more than ${LOG_PER_SECOND} per second after ` +
        `${LOG_BURST} at once: the peer keeps sending what this end refuses, or a handler keeps failing)`,
    )
    held = 0
  }
  return {
    line(text) {
      const t = now()
      tokens = Math.min(LOG_BURST, tokens + ((t - last) * LOG_PER_SECOND) / 1000)
      last = t
      // The count of lines held back is a line too: with it, this one costs two.
      const cost = held > 0 ? 2 : 1
      if (tokens < cost) {
        held++
        return
      }
      tokens -= cost
      flush()
      log(text)
    },
    flush,
  }
}
