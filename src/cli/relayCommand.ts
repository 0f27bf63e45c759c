import { spawn } from 'node:child_process'
import { fstatSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { homedir } from 'node:os'
import { UsageError } from '../node/install/errors.js'
import { type AppEndpoint, appEndpoint, secureEndpointDir } from '../server/endpoint.js'
import {
  encodeHandshake,
  RELAY_HANDSHAKE_VERSION,
  type RelayAnswer,
  readControlFrame,
} from '../server/relayHandshake.js'
import { StdioTransport } from '../server/stdioTransport.js'
import { RpcError } from '../shared/errors.js'
import { BROWSER_INBOUND_LIMIT, DEFAULT_MAX_FRAME_IN } from '../shared/limits.js'
import { resolveEndpointOptions } from '../shared/options.js'
import { Session } from '../shared/session.js'
import { IMPL } from '../shared/version.js'
import type { Io } from './args.js'

export const RELAY_HELP = `Usage: nmrpc relay <host.name> [--launch <command>] [--wait <ms>] [--] [browser args...]

What the browser starts for an app served with host.serve({ name }): connects to the app's per-user
endpoint, passes the browser's arguments on in a handshake, then gets out of the way: on Linux it hands its
stdin and stdout pipes to the app (set NMRPC_RELAY_COPY=1 not to); elsewhere it copies bytes both ways
unchanged. It exits when either side closes. "nmrpc install --app" writes a launcher that runs it; you rarely run it by hand.

If the app is not running, every call fails with APP_NOT_RUNNING (naming the endpoint looked for), unless
--launch names a command that starts the app: then the relay runs it and waits for the endpoint.

Options:
  --launch COMMAND   shell command that starts the app when it is not running (it keeps running on its own)
  --wait MS          how long to wait for a launched app's endpoint (default 10000)

Example:
  nmrpc relay com.acme.app --launch "/opt/acme/acme --tray" chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/
`

const DEFAULT_WAIT = 10_000
/** Ms the relay waits after the browser hangs up for the app to close its side. */
const BYE_GRACE = 1_500

interface RelayArgs {
  name: string
  launch: string | undefined
  wait: number
  browserArgs: string[]
}

/** Splits the relay's own options from the browser's arguments, which follow and are passed on verbatim. */
export function parseRelayArgs(argv: readonly string[]): RelayArgs | 'help' {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') return 'help'
  let launch: string | undefined
  let wait = DEFAULT_WAIT
  let i = 0
  for (; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--') {
      i++
      break
    }
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined]
    if (flag !== '--launch' && flag !== '--wait') break
    const value = inline ?? rest[++i]
    if (value === undefined || value === '')
      throw new UsageError(`nmrpc relay: ${flag} needs a value. See: nmrpc relay --help`)
    if (flag === '--launch') launch = value
    else {
      wait = Number(value)
      if (!Number.isFinite(wait) || wait < 0)
        throw new UsageError(
          `nmrpc relay: --wait ${JSON.stringify(value)} is not a number of ms. See: nmrpc relay --help`,
        )
    }
  }
  return { name, launch, wait, browserArgs: rest.slice(i) }
}

/**
 * `nmrpc relay`: what the browser starts for an app in app mode. Resolves with the exit status once either
 * side has closed. Writes nothing to stdout but the app's bytes (and, when the app is not running, the
 * protocol replies that say so); its own messages go to stderr.
 *
 * @example
 * // launcher.sh, written by nmrpc install --app:
 * // exec /usr/bin/node /opt/nmrpc/dist/cli/main.js relay com.acme.app "$@"
 */
export async function relayCommand(argv: string[], io: Io): Promise<number> {
  const args = parseRelayArgs(argv)
  if (args === 'help') {
    io.err(RELAY_HELP)
    return argv.length === 0 ? 2 : 0
  }
  const ep = appEndpoint(args.name)
  const say = (line: string) => io.err(`nmrpc relay: ${line}\n`)
  const code = await relay(args, ep, say)
  // The browser's pipe would keep the process alive after either side is done: let it go.
  process.stdin.destroy()
  setTimeout(() => process.exit(code), 100).unref()
  return code
}

async function relay(args: RelayArgs, ep: AppEndpoint, say: (line: string) => void): Promise<number> {
  let found = await reach(ep)
  if (typeof found === 'string' && args.launch) found = await launchAndWait(ep, args.launch, args.wait)
  if (typeof found === 'string') {
    const message = `app "${args.name}" is not running: ${found}`
    say(message)
    return answerNotRunning(message, say)
  }
  const offer = canHandOff()
  found.write(
    encodeHandshake({
      t: 'relay',
      v: RELAY_HANDSHAKE_VERSION,
      argv: args.browserArgs,
      impl: IMPL,
      pid: process.pid,
      ...(offer ? { handoff: true } : {}),
    }),
  )
  if (!offer) return copyBoth(found, args, ep, say, undefined)
  // Not a byte of stdin is read until the app has answered: after a handoff the app reads it.
  let answer: { value: unknown; rest: Buffer }
  try {
    answer = await readControlFrame(found, ANSWER_TIMEOUT, "the app's answer")
  } catch (e) {
    found.destroy()
    const why = (e as Error).message || 'the connection closed'
    say(`app "${args.name}" (${ep.path}) did not answer the relay: ${why}`)
    return 1
  }
  const a = answer.value as RelayAnswer
  if (a.t === 'relay-answer' && a.mode === 'handoff') return handedOver(found, answer.rest, args, ep, say)
  return copyBoth(found, args, ep, say, answer.rest)
}

/** Ms the relay waits for the app to answer a handoff offer (it opens two files; this is generous). */
const ANSWER_TIMEOUT = 10_000

/**
 * Whether to offer the app our stdin and stdout: on Linux, when both are FIFOs (as browsers and spawnHost
 * give them), the app can open them itself through /proc/<pid>/fd and this process leaves the data path.
 * A socketpair cannot be opened that way (ENXIO). NMRPC_RELAY_COPY=1 turns the offer off.
 */
function canHandOff(): boolean {
  if (process.platform !== 'linux' || process.env.NMRPC_RELAY_COPY === '1') return false
  try {
    return fstatSync(0).isFIFO() && fstatSync(1).isFIFO()
  } catch {
    return false
  }
}

/**
 * The app talks to the browser over our pipes now. Stay alive holding the connection (the app closes the
 * pipes when it goes, so the browser sees EOF when we die) and leave with the code the app's last frame
 * gives, or 1 when the app goes away without one.
 */
async function handedOver(
  socket: Socket,
  rest: Buffer,
  args: RelayArgs,
  ep: AppEndpoint,
  say: (line: string) => void,
): Promise<number> {
  if (rest.length > 0) socket.unshift(rest)
  socket.on('error', () => {
    // Seen as the close below: the app crashed.
  })
  try {
    const { value } = await readControlFrame(socket, Number.POSITIVE_INFINITY, "the app's answer")
    socket.destroy()
    const end = value as RelayAnswer
    if (end.t !== 'relay-end') throw new Error(`a second ${end.t}`)
    if (end.code !== 0) say(`app "${args.name}" closed the connection (${ep.path}): ${end.why}`)
    return end.code === 0 ? 0 : 1
  } catch {
    socket.destroy()
    say(`app "${args.name}" went away (${ep.path}); the browser's Port closes with it`)
    return 1
  }
}

/** Connects to the app, or says why not (in words for the APP_NOT_RUNNING message). */
async function reach(ep: AppEndpoint): Promise<Socket | string> {
  try {
    if (ep.dir && !secureEndpointDir(ep.dir, false)) return `nothing listens at ${ep.path} (no such folder)`
  } catch (e) {
    return `${(e as Error).message}`
  }
  return new Promise((resolve) => {
    const s = connect(ep.path)
    const timer = setTimeout(() => {
      s.destroy()
      resolve(`${ep.path} did not accept the connection within 5 s`)
    }, 5_000)
    s.once('connect', () => {
      clearTimeout(timer)
      s.removeAllListeners('error')
      resolve(s)
    })
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      const why =
        e.code === 'ENOENT'
          ? 'no such socket'
          : e.code === 'ECONNREFUSED'
            ? 'a stale socket: its app is gone'
            : e.message
      resolve(`nothing listens at ${ep.path} (${why})`)
    })
  })
}

/** Starts the app with `command` (detached: it outlives the relay and the browser) and waits for it. */
async function launchAndWait(ep: AppEndpoint, command: string, wait: number): Promise<Socket | string> {
  let exited: string | null = null
  try {
    // stdio 'ignore': the app must never hold the browser's pipes, or the browser would wait on it.
    const child = spawn(command, {
      shell: true,
      detached: true,
      stdio: 'ignore',
      cwd: homedir(),
      windowsHide: true,
    })
    child.once('error', (e) => {
      exited = `could not start it: ${e.message}`
    })
    child.once('exit', (code, signal) => {
      if (code !== 0) exited = signal ? `it was killed by ${signal}` : `it exited with code ${code}`
    })
    child.unref()
  } catch (e) {
    return `--launch ${JSON.stringify(command)} could not start: ${(e as Error).message}`
  }
  const until = Date.now() + wait
  let last = ''
  for (;;) {
    const r = await reach(ep)
    if (typeof r !== 'string') return r
    last = r
    if (exited || Date.now() >= until) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return `${last}; started ${JSON.stringify(command)} (--launch) but ${exited ?? `it did not listen within ${wait} ms`}`
}

/**
 * The app's connection is open: hand over the browser's arguments, then copy bytes both ways without
 * looking at them. No limit is added: frames pass through whole or in pieces, as they come.
 */
function copyBoth(
  socket: Socket,
  args: RelayArgs,
  ep: AppEndpoint,
  say: (line: string) => void,
  /** The app's first bytes, read with its answer. */
  initial: Buffer | undefined,
): Promise<number> {
  return new Promise((resolve) => {
    let browserGone = false
    let done = false
    const finish = (code: number, why?: string) => {
      if (done) return
      done = true
      if (why) say(why)
      const out = process.stdout
      // Pipes to the browser may be asynchronous (macOS, Windows): leave once they have been written.
      if (out.writableLength === 0) resolve(code)
      else {
        out.once('drain', () => resolve(code))
        setTimeout(() => resolve(code), 1_000).unref()
      }
    }
    if (initial && initial.length > 0) process.stdout.write(initial)
    process.stdin.pipe(socket)
    socket.pipe(process.stdout, { end: false })
    process.stdin.once('end', () => {
      // The browser closed the Port. stdin.pipe ends our side; give the app a moment to close its own.
      browserGone = true
      setTimeout(() => finish(0), BYE_GRACE).unref()
    })
    process.stdout.on('error', () => {
      browserGone = true
      socket.destroy()
      finish(0)
    })
    socket.once('end', () => {
      if (browserGone) return finish(0)
      finish(1, `app "${args.name}" closed the connection (${ep.path}); the browser's Port closes with it`)
    })
    socket.once('error', (e) => {
      if (browserGone) return finish(0)
      finish(
        1,
        `the connection to app "${args.name}" (${ep.path}) failed: ${e.message}; the app may have crashed`,
      )
    })
    socket.once('close', () => {
      if (browserGone) return finish(0)
      finish(1, `app "${args.name}" went away (${ep.path}); the browser's Port closes with it`)
    })
  })
}

/**
 * No app: speak the protocol just enough to answer every call with `APP_NOT_RUNNING` (a browser that only
 * sees the relay exit would say "Native host has exited." and nothing more), then leave so that the next
 * call starts a new relay, which finds the app once it is back.
 */
function answerNotRunning(message: string, say: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const transport = new StdioTransport(process.stdin, process.stdout, {
      maxFrameIn: DEFAULT_MAX_FRAME_IN,
      maxMessageBytes: BROWSER_INBOUND_LIMIT,
      log: say,
    })
    let done = false
    const leave = () => {
      if (done) return
      done = true
      session.close(new RpcError('CLOSED', 'nmrpc relay: the app is not running'))
      void transport.flush().then(() => resolve(1))
    }
    const session = new Session(transport, {
      role: 'host',
      peer: 'the extension',
      self: 'nmrpc relay',
      handlers: new Map(),
      ...resolveEndpointOptions({}),
      impl: IMPL,
      byteLength: Buffer.byteLength,
      log: say,
      context: (base) => base,
      onClose: leave,
      // Calls sent together arrive together: answer the whole batch, then go.
      onRefused: () => void setImmediate(leave),
    })
    session.refuseCalls(message, 'APP_NOT_RUNNING')
    session.start()
    // A connection that only says hello (or listens for events) learns it too: the relay exits and says why.
    setTimeout(leave, 2_000).unref()
  })
}
