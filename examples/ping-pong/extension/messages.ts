// What the popup asks the background for. The background holds the one connection to the host, so
// the host keeps running while the popup opens and closes.

/** A one-shot request from the popup (runtime.sendMessage). */
export type PopupRequest =
  | { readonly kind: 'ping' }
  | { readonly kind: 'greet'; readonly name: string }
  | { readonly kind: 'divide'; readonly a: number; readonly b: number }
  | { readonly kind: 'remind'; readonly seconds: number; readonly text: string }

/** The background's answer: a value to show, or the error text (with its code) to show instead. */
export type PopupReply =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly text: string }

/** The name of the runtime Port the popup opens to follow the countdown stream. */
export const COUNTDOWN_PORT = 'countdown'

/** The name of the runtime Port an open popup keeps to hear the host's reminders. */
export const REMINDER_PORT = 'reminders'

export function isPopupRequest(m: unknown): m is PopupRequest {
  if (typeof m !== 'object' || m === null) return false
  const r = m as Record<string, unknown>
  return (
    r.kind === 'ping' ||
    (r.kind === 'greet' && typeof r.name === 'string') ||
    (r.kind === 'divide' && typeof r.a === 'number' && typeof r.b === 'number') ||
    (r.kind === 'remind' && typeof r.seconds === 'number' && typeof r.text === 'string')
  )
}
