import { spawn } from 'node:child_process'
import { endianness } from 'node:os'
import path from 'node:path'
import { PROTOCOL_VERSION } from '../../shared/protocol.js'

/** How a browser would start the host: the manifest's `path`, the browser's argv, the host's folder as cwd. */
export interface ProbeTarget {
  command: string
  args: string[]
  /** How long the host may take to send its first frame; browsers wait without a limit. @default 30000 */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Called while the host has not answered yet: after 2 s, then every 5 s, with the time waited so far. */
  onWait?: (elapsedMs: number) => void
}

/** What happened when the host was started and greeted. */
export type ProbeOutcome =
  /** The host answered with an nmrpc hello. */
  | {
      kind: 'hello'
      ms: number
      protocol: number
      impl?: string
      exitedAfterStdinClose: boolean
      stderr: string
    }
  /** The host answered with a well-formed frame that is not an nmrpc hello. */
  | { kind: 'not-nmrpc'; ms: number; message: unknown; stderr: string }
  /** Bytes on stdout that are not a frame (a log line, a banner...). */
  | {
      kind: 'stray-stdout'
      bytes: string
      /** The first 4 bytes read as a frame length, as a browser reads them. */
      length: number
      stderr: string
    }
  /** The host ended before answering. */
  | { kind: 'exited'; code: number | null; signal: string | null; stderr: string }
  /** The host could not be started at all. */
  | { kind: 'spawn-error'; message: string }
  /** The host said nothing within the time limit. */
  | { kind: 'timeout'; ms: number; stderr: string }

const LE = endianness() === 'LE'
// Browsers refuse frames over 1 MiB from a host; a header announcing more is almost surely text, not a frame.
const MAX_FRAME = 1024 * 1024

/** One frame as browsers write it: 4-byte native-endian length, then UTF-8 JSON. */
export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8')
  const head = Buffer.alloc(4)
  if (LE) head.writeUInt32LE(body.length)
  else head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

/**
 * Starts a host the way a browser does and sends the nmrpc hello, then reads its raw stdout, so it can
 * tell a proper answer from log text on stdout, a crash, silence or a foreign protocol. It works on bytes
 * rather than through the client because the point is to see what a client would choke on. The process
 * is always ended before this resolves: stdin is closed after the answer, and it is killed if it lingers.
 *
 * @example
 * const out = await probeHost({ command: '/home/a/.local/share/nmrpc/com.acme.app/launcher.sh',
 *   args: ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'] })
 * if (out.kind === 'hello') console.log(`answered in ${out.ms} ms`)
 */
export function probeHost(t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = t.timeoutMs ?? 30_000
  const started = performance.now()
  const isCmd = process.platform === 'win32' && /\.(cmd|bat)$/i.test(t.command)
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(t.command, t.args, {
        cwd: path.dirname(t.command),
        env: t.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Browsers start .cmd/.bat hosts through cmd.exe on Windows.
        shell: isCmd,
        windowsHide: true,
      })
    } catch (err) {
      resolve({ kind: 'spawn-error', message: (err as Error).message })
      return
    }
    let out = Buffer.alloc(0)
    let stderr = ''
    let settled = false
    let waitTimer: NodeJS.Timeout | undefined
    const finish = (o: ProbeOutcome, waitExit = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(waitTimer)
      if (!waitExit) {
        child.kill('SIGKILL')
        resolve(o)
        return
      }
      // A host should exit promptly once the browser closes its stdin (nmrpc promises well under 2 s).
      const killer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(o.kind === 'hello' ? { ...o, exitedAfterStdinClose: false, stderr: tail(stderr) } : o)
      }, 2000)
      child.once('exit', () => {
        clearTimeout(killer)
        resolve(o.kind === 'hello' ? { ...o, stderr: tail(stderr) } : o)
      })
      child.stdin?.end()
    }
    const timer = setTimeout(
      () => finish({ kind: 'timeout', ms: Math.round(performance.now() - started), stderr: tail(stderr) }),
      timeoutMs,
    )
    // A slow host is not a silent one: say that we are still waiting, so nobody gives up at 5 s.
    const tick = (after: number) => {
      waitTimer = setTimeout(() => {
        t.onWait?.(Math.round(performance.now() - started))
        tick(5000)
      }, after)
      waitTimer.unref()
    }
    if (t.onWait) tick(2000)
    child.on('error', (err) => finish({ kind: 'spawn-error', message: err.message }))
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString('utf8')
      if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024)
    })
    child.stdin?.on('error', () => {}) // a host that died before reading; 'exit' reports it
    child.stdout?.on('data', (d: Buffer) => {
      out = Buffer.concat([out, d]) // small: the probe stops at the first frame
      if (out.length < 4) return
      const len = LE ? out.readUInt32LE(0) : out.readUInt32BE(0)
      if (len > MAX_FRAME)
        return finish({ kind: 'stray-stdout', bytes: printable(out), length: len, stderr: tail(stderr) })
      if (out.length < 4 + len) return
      let message: unknown
      try {
        message = JSON.parse(out.subarray(4, 4 + len).toString('utf8'))
      } catch {
        return finish({ kind: 'stray-stdout', bytes: printable(out), length: len, stderr: tail(stderr) })
      }
      const ms = Math.round(performance.now() - started)
      if (isHello(message)) {
        const o: ProbeOutcome = {
          kind: 'hello',
          ms,
          protocol: message.v,
          exitedAfterStdinClose: true,
          stderr: '',
        }
        if (typeof message.impl === 'string') o.impl = message.impl
        finish(o, true)
      } else finish({ kind: 'not-nmrpc', ms, message, stderr: tail(stderr) })
    })
    child.on('exit', (code, signal) => {
      // Let stdout's last chunk land first: a host may print and exit in one go.
      setImmediate(() => {
        // Bytes that never became a whole frame before the host died: not framed output.
        if (out.length > 0) {
          const length = out.length < 4 ? out.length : LE ? out.readUInt32LE(0) : out.readUInt32BE(0)
          finish({ kind: 'stray-stdout', bytes: printable(out), length, stderr: tail(stderr) })
        }
        finish({ kind: 'exited', code, signal, stderr: tail(stderr) })
      })
    })
    child.stdin?.write(frame({ t: 'hello', v: PROTOCOL_VERSION, impl: 'nmrpc-doctor' }))
  })
}

function isHello(m: unknown): m is { t: 'hello'; v: number; impl?: unknown } {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { t?: unknown }).t === 'hello' &&
    typeof (m as { v?: unknown }).v === 'number'
  )
}

/** The first bytes of stdout as readable text, for the finding. */
function printable(b: Buffer): string {
  // A frame that followed the text starts with its length: for small frames one byte and then NULs.
  const nul = b.indexOf(0)
  const text = nul > 0 ? b.subarray(0, nul - 1) : b
  const s = text.subarray(0, 120).toString('utf8')
  return text.length > 120 ? `${s}…` : s
}

/** The end of stderr, where the reason for a crash usually is. */
function tail(s: string): string {
  const lines = s.trimEnd().split('\n')
  return lines.slice(-15).join('\n')
}
