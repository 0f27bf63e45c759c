// The popup: buttons that ask the background, which asks the host.
import { extensionRuntime } from './browserApi'
import { COUNTDOWN_PORT, type PopupReply, type PopupRequest, REMINDER_PORT } from './messages'

const runtime = extensionRuntime()
const out = document.getElementById('out') as HTMLOutputElement

function show(text: string, isError = false): void {
  out.textContent = text
  out.className = isError ? 'error' : ''
}

async function ask(request: PopupRequest): Promise<void> {
  show('…')
  const reply = (await runtime.sendMessage(request)) as PopupReply
  show(reply.text, !reply.ok)
}

function on(id: string, fn: () => void): void {
  document.getElementById(id)?.addEventListener('click', fn)
}

on('ping', () => ask({ kind: 'ping' }))
on('greet', () => ask({ kind: 'greet', name: 'popup' }))
on('divide', () => ask({ kind: 'divide', a: 1, b: 0 }))
on('remind', () => ask({ kind: 'remind', seconds: 2, text: 'stretch your legs' }))

// While the popup is open it hears the host's reminders (events the host sends on its own).
runtime.connect({ name: REMINDER_PORT }).onMessage.addListener((message) => {
  const m = message as { text: string; at: string }
  show(`Reminder from the host at ${m.at}: ${m.text}`)
})

on('countdown', () => {
  const port = runtime.connect({ name: COUNTDOWN_PORT })
  const seen: number[] = []
  port.onMessage.addListener((message) => {
    const m = message as { n?: number; done?: boolean; error?: string }
    if (typeof m.n === 'number') seen.push(m.n)
    if (m.error) show(m.error, true)
    else show(seen.join(' … ') + (m.done ? ' … liftoff!' : ''))
    if (m.done || m.error) port.disconnect()
  })
  port.postMessage(5)
})
