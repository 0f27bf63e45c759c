// The background (a service worker in Chromium, a background script in Firefox) owns the client:
// one native host process serves every popup. Try it from the background's devtools console too:
//   await pingPong.ping()            // 'pong'
//   await pingPong.divide(1, 0)      // RpcError: Cannot divide 1 by zero
import { createClient, RpcError } from 'nmrpc/client'
import type { Events, Host } from '../host/host'
import { extensionRuntime, type RuntimePort } from './browserApi'
import { HOST_NAME } from './hostName'
import { COUNTDOWN_PORT, isPopupRequest, type PopupReply, type PopupRequest, REMINDER_PORT } from './messages'

type PingPongClient = ReturnType<typeof createClient<Host, Events>>
type ReminderListener = (reminder: Events['reminder']) => void

let client: PingPongClient | undefined
const reminderListeners = new Set<ReminderListener>()

/** The client, created on first use and again after the host went away (crashed, or was killed). */
function host(): PingPongClient {
  if (!client) {
    client = createClient<Host, Events>(HOST_NAME)
    // Events from the host: `reminder` is typed by the `Events` the host exports.
    client.on('reminder', (reminder) => {
      for (const listener of reminderListeners) listener(reminder)
    })
  }
  return client
}

function forgetClientIfGone(err: unknown): void {
  if (err instanceof RpcError && (err.code === 'DISCONNECTED' || err.code === 'HOST_NOT_FOUND')) {
    client?.close()
    client = undefined
  }
}

/** The example's operations, each a typed call to the host. */
export const pingPong = {
  ping: () => host().call.ping(),
  greet: (name: string) => host().call.greet(name),
  divide: (a: number, b: number) => host().call.divide(a, b),
  countdown: (from: number) => host().call.countdown(from),
  remindMe: (seconds: number, text: string) => host().call.remindMe(seconds, text),
  /** Calls `listener` with each reminder the host sends; returns the function that stops listening. */
  onReminder: (listener: ReminderListener) => {
    reminderListeners.add(listener)
    return () => reminderListeners.delete(listener)
  },
}
;(globalThis as unknown as { pingPong: typeof pingPong }).pingPong = pingPong

function describe(err: unknown): string {
  if (err instanceof RpcError) return `${err.name} [${err.code}]: ${err.message}`
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

async function answer(request: PopupRequest): Promise<PopupReply> {
  try {
    switch (request.kind) {
      case 'ping':
        return { ok: true, text: await pingPong.ping() }
      case 'greet': {
        const { text, at } = await pingPong.greet(request.name)
        // `at` is a real Date here: the codec carries it across.
        return { ok: true, text: `${text} (at ${at.toLocaleTimeString()})` }
      }
      case 'divide':
        return { ok: true, text: String(await pingPong.divide(request.a, request.b)) }
      case 'remind':
        return { ok: true, text: await pingPong.remindMe(request.seconds, request.text) }
    }
  } catch (err) {
    forgetClientIfGone(err)
    return { ok: false, text: describe(err) }
  }
}

const runtime = extensionRuntime()

runtime.onMessage.addListener((message, _sender, reply) => {
  if (!isPopupRequest(message)) return undefined
  answer(message).then(reply)
  return true // the reply comes later
})

// The countdown goes over a runtime Port so each item reaches the popup as it arrives; closing the
// popup disconnects the Port, and breaking the loop stops the generator in the host.
runtime.onConnect.addListener((port: RuntimePort) => {
  if (port.name === REMINDER_PORT) {
    const stop = pingPong.onReminder(({ text, at }) =>
      port.postMessage({ text, at: at.toLocaleTimeString() }),
    )
    port.onDisconnect.addListener(stop)
    return
  }
  if (port.name !== COUNTDOWN_PORT) return
  let open = true
  port.onDisconnect.addListener(() => {
    open = false
  })
  port.onMessage.addListener(async (message) => {
    const from = typeof message === 'number' ? message : 5
    try {
      for await (const n of pingPong.countdown(from)) {
        if (!open) break
        port.postMessage({ n })
      }
      if (open) port.postMessage({ done: true })
    } catch (err) {
      forgetClientIfGone(err)
      if (open) port.postMessage({ error: describe(err) })
    }
  })
})
