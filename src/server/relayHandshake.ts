import type { Socket } from 'node:net'
import { NATIVE_LITTLE_ENDIAN, writeLength } from '../shared/frame.js'

/**
 * The first message `nmrpc relay` sends on an app connection, before it copies the browser's bytes: who
 * started the relay (the browser's argv), so the app can set `ctx.caller` and check `allowedCallers` for this
 * connection. Framed like every native message (4-byte native-order length, UTF-8 JSON). PROTOCOL.md,
 * "App mode: the relay handshake", is the normative description.
 */
export interface RelayHandshake {
  t: 'relay'
  /** Version of the handshake (1). */
  v: number
  /** The arguments the browser started the relay with, as given. */
  argv: string[]
  /** Implementation of the relay, for diagnostics. */
  impl?: string
  /** The relay's process id: for diagnostics, and where the app finds the pipes a handoff offers. */
  pid?: number
  /**
   * The relay offers its stdin and stdout (both FIFOs, Linux) for the app to open through
   * `/proc/<pid>/fd/0` and `/proc/<pid>/fd/1`; it reads nothing from stdin until the app answers.
   */
  handoff?: boolean
}

/**
 * The app's answer to a handshake that offered a handoff (and only to such a handshake): `handoff` means the
 * app opened the relay's pipes and talks to the browser itself; `copy` means the relay copies bytes as without
 * the offer. After `handoff` the app sends, as its last frame before it closes the connection, a `relay-end`
 * with the exit code the relay should leave with and why.
 */
export type RelayAnswer =
  | { t: 'relay-answer'; mode: 'handoff' | 'copy'; why?: string }
  | { t: 'relay-end'; code: number; why: string }

export const RELAY_HANDSHAKE_VERSION = 1
/** Largest handshake accepted: argv is a few short strings; anything bigger is not a relay. */
export const MAX_HANDSHAKE_BYTES = 64 * 1024
const MAX_ARGS = 64

/** The handshake frame the relay writes first. */
export function encodeHandshake(h: RelayHandshake | RelayAnswer): Buffer {
  const body = Buffer.from(JSON.stringify(h), 'utf8')
  const frame = Buffer.allocUnsafe(4 + body.length)
  writeLength(frame, 0, body.length)
  body.copy(frame, 4)
  return frame
}

/** Checks a parsed handshake; returns it, or a sentence saying what is wrong. */
export function parseHandshake(value: unknown): RelayHandshake | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'the handshake is not a JSON object'
  const v = value as Record<string, unknown>
  if (v.t !== 'relay') return `the first message is not a relay handshake (t is ${JSON.stringify(v.t)})`
  if (v.v !== RELAY_HANDSHAKE_VERSION)
    return `the relay speaks handshake version ${JSON.stringify(v.v)}, this app ${RELAY_HANDSHAKE_VERSION}; use the same nmrpc version for both`
  const argv = v.argv
  if (!Array.isArray(argv) || argv.length > MAX_ARGS || !argv.every((a) => typeof a === 'string'))
    return `the handshake's argv is not a list of at most ${MAX_ARGS} strings`
  return {
    t: 'relay',
    v: RELAY_HANDSHAKE_VERSION,
    argv: argv as string[],
    impl: typeof v.impl === 'string' ? v.impl.slice(0, 100) : undefined,
    pid: typeof v.pid === 'number' && Number.isSafeInteger(v.pid) && v.pid > 0 ? v.pid : undefined,
    ...(v.handoff === true ? { handoff: true } : {}),
  }
}

/** Checks a parsed app answer (what the relay reads after offering a handoff). */
export function parseAnswer(value: unknown): RelayAnswer | string {
  if (typeof value !== 'object' || value === null) return 'the answer is not a JSON object'
  const v = value as Record<string, unknown>
  const why = typeof v.why === 'string' ? v.why.slice(0, 2_000) : undefined
  if (v.t === 'relay-answer' && (v.mode === 'handoff' || v.mode === 'copy'))
    return { t: 'relay-answer', mode: v.mode, why }
  if (v.t === 'relay-end' && typeof v.code === 'number')
    return { t: 'relay-end', code: v.code, why: why ?? '' }
  return `the app's answer is not a relay-answer or relay-end (t is ${JSON.stringify(v.t)})`
}

/**
 * Reads the handshake frame from a fresh connection. Resolves with it and the bytes that came after it in
 * the same reads (the browser's first messages), or rejects with a sentence for the log when the peer sends
 * something else, too much, or nothing within `timeout` ms. Leaves the socket paused.
 */
export async function readHandshake(
  socket: Socket,
  timeout: number,
): Promise<{ handshake: RelayHandshake; rest: Buffer }> {
  const { value, rest } = await readControlFrame(socket, timeout, 'the relay handshake')
  return { handshake: value as RelayHandshake, rest }
}

/**
 * Reads one control frame (the handshake, or the app's answer): resolves with it, checked by
 * `parseHandshake` or `parseAnswer` per `what`, and the bytes after it. Leaves the socket paused.
 */
export function readControlFrame(
  socket: Socket,
  timeout: number,
  what: 'the relay handshake' | "the app's answer",
): Promise<{ value: RelayHandshake | RelayAnswer; rest: Buffer }> {
  const check = what === 'the relay handshake' ? parseHandshake : parseAnswer
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let have = 0
    const done = (err: string | null, result?: { value: RelayHandshake | RelayAnswer; rest: Buffer }) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', onError)
      socket.pause()
      if (err !== null) reject(new Error(err))
      else resolve(result!)
    }
    const onData = (chunk: Buffer) => {
      parts.push(chunk)
      have += chunk.length
      if (have < 4) return
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      parts.length = 0
      parts.push(all)
      const size = NATIVE_LITTLE_ENDIAN ? all.readUInt32LE(0) : all.readUInt32BE(0)
      if (size > MAX_HANDSHAKE_BYTES)
        return done(`the first message is ${size} bytes, more than ${what} may be (${MAX_HANDSHAKE_BYTES})`)
      if (have < 4 + size) return
      let parsed: unknown
      try {
        parsed = JSON.parse(all.subarray(4, 4 + size).toString('utf8'))
      } catch {
        return done('the first message is not JSON')
      }
      const h = check(parsed)
      if (typeof h === 'string') return done(h)
      done(null, { value: h, rest: all.subarray(4 + size) })
    }
    // A peer that closes without a byte is a probe (a second instance, doctor), not worth a log line.
    const onEnd = () => done(have === 0 ? '' : `the connection closed before ${what}`)
    const onError = (e: Error) => done(`the connection failed before ${what}: ${e.message}`)
    // Infinity: no deadline (the relay waits for the app's last word for as long as the session lasts).
    const timer =
      timeout === Number.POSITIVE_INFINITY
        ? undefined
        : setTimeout(() => done(`no ${what.replace(/^the /, '')} within ${timeout} ms`), timeout)
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('error', onError)
  })
}
