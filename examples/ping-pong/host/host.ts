// The native host: a Node program the browser starts when the extension connects. Everything it
// offers is in this one object; the extension gets the types with `import type { Host }`.
import { defineHost } from 'nmrpc/server'

/** Events the host sends on its own, outside any call; the extension listens with `client.on`. */
export type Events = {
  reminder: { text: string; at: Date }
}

const host = defineHost({
  /** The classic: the extension says ping, the host answers pong. */
  ping: () => 'pong' as const,

  /** A typed call: arguments and result are checked at compile time, and the Date arrives as a Date. */
  greet: (name: string) => ({ text: `Hello, ${name}, from Node ${process.version}`, at: new Date() }),

  /** An error: whatever the handler throws reaches the extension as an RpcError with name and message. */
  divide: (a: number, b: number) => {
    if (b === 0) throw new RangeError(`Cannot divide ${a} by zero`)
    return a / b
  },

  /** A stream: an async generator becomes an async iterable in the extension. */
  async *countdown(from: number) {
    try {
      for (let i = from; i >= 0; i--) {
        yield i
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    } finally {
      // Runs however the stream ends, also when the extension stops reading (closes the popup).
      console.error(`countdown from ${from} ended`)
    }
  },

  /** An event from the host: answers now, then speaks up on its own when the time comes. */
  remindMe: (seconds: number, text: string) => {
    setTimeout(() => sendReminder(text), seconds * 1000)
    return `I will remind you in ${seconds} s`
  },
})

function sendReminder(text: string): void {
  host.emit('reminder', { text, at: new Date() } satisfies Events['reminder'])
}

export type Host = typeof host

// stdin/stdout carry the browser's messages; console.log is sent to stderr so it cannot corrupt them.
host.listen()
