import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, dirname, isAbsolute, resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { PortFactory, PortLike } from '../client/port.js'
import { FrameDecoder, FrameError, writeLength } from '../shared/frame.js'
import { BROWSER_INBOUND_LIMIT, BROWSER_OUTBOUND_LIMIT, DEFAULT_MAX_HELD_BYTES } from '../shared/limits.js'
import { makeHostPipes } from './pipes.js'

export interface SpawnHostOptions {
  /**
   * Which browser to imitate in argv: Chromium passes the caller's origin; Firefox the manifest path and the
   * add-on id.
   * @default 'chromium'
   */
  browser?: 'chromium' | 'firefox'
  /**
   * The calling extension's origin (Chromium argv).
   * @default 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/'
   */
  origin?: string
  /** Firefox argv: the manifest path and add-on id. @default a made-up manifest path and 'nmrpc@localhost' */
  manifestPath?: string
  extensionId?: string
  /**
   * Working directory of the host.
   * @default the folder of the host script (the first argument that is an existing file), like browsers
   */
  cwd?: string
  /** Environment of the host. @default process.env */
  env?: NodeJS.ProcessEnv
  /**
   * What happens to the host's stderr: passed through to this process's stderr (as browsers do to theirs),
   * or only kept (its last 8 KiB are always quoted when the host exits).
   * @default 'inherit'
   */
  stderr?: 'inherit' | 'pipe'
  /**
   * Use real pipes (FIFOs) like a browser, or Node's default socketpair.
   * @default 'fifo' where possible
   */
  pipes?: 'fifo' | 'socketpair'
  /**
   * Largest message body the host may send; a bigger one closes the Port, as browsers do.
   * @default 1_048_576
   */
  maxMessageBytes?: number
  /**
   * Ms the host has to exit after the Port is disconnected before it is killed.
   * @default 2_000
   */
  killAfter?: number
  /**
   * Most bytes written to the host's stdin and not yet read by it; past it the Port closes (the host
   * stopped reading), instead of this process buffering without end.
   * @default 268_435_456 (256 MiB)
   */
  maxUnsentBytes?: number
  /** Name used in error messages. @default the host script's file name */
  hostName?: string
  /** Called with each started child process (e.g. to read its pid). */
  onSpawn?: (child: ChildProcess) => void
}

type Listener<T> = (arg: T) => void

class ListenerList<T> {
  private fns: Array<Listener<T>> = []
  addListener(fn: Listener<T>): void {
    this.fns.push(fn)
  }
  removeListener(fn: Listener<T>): void {
    this.fns = this.fns.filter((f) => f !== fn)
  }
  emit(arg: T): void {
    // removeListener replaces the array, so iterating the current one is safe without a copy.
    for (const fn of this.fns) fn(arg)
  }
}

const STDERR_TAIL = 8 * 1024

/**
 * A Port over a child process, framed exactly as browsers frame native messaging, with the browsers'
 * rules: a message over 1 MiB from the host closes the Port, non-JSON output closes it, and a host exit
 * closes it with "Native host has exited." (plus the exit code and the tail of stderr).
 */
export class ChildPort implements PortLike {
  readonly onMessage = new ListenerList<unknown>()
  readonly onDisconnect = new ListenerList<PortLike>()
  /** Fires when what was written to the host's stdin has been taken by it (after `bufferedAmount` grew). */
  readonly onDrain = new ListenerList<void>()
  error: { message: string } | null = null
  private disconnected = false
  private stderrTail = ''
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  private outputEnded = false

  constructor(
    readonly child: ChildProcess,
    private readonly toChild: Writable,
    fromChild: Readable,
    private readonly opts: {
      maxMessageBytes: number
      killAfter: number
      hostName: string
      maxUnsentBytes?: number
    },
  ) {
    const decoder = new FrameDecoder(
      (body) => {
        if (this.disconnected) return
        let value: unknown
        try {
          value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
        } catch {
          this.fail(
            'Error when communicating with the native messaging host. (the host sent a message that is not JSON)',
          )
          return
        }
        this.onMessage.emit(value)
      },
      { maxFrame: opts.maxMessageBytes },
    )
    fromChild.on('data', (chunk: Buffer) => {
      if (this.disconnected) return
      try {
        decoder.push(chunk)
      } catch (e) {
        if (!(e instanceof FrameError)) throw e
        this.fail(
          `Native application tried to send a message larger than the limit of ${opts.maxMessageBytes} bytes ` +
            `(${e.message}). Error when communicating with the native messaging host.`,
        )
      }
    })
    fromChild.on('end', () => {
      this.outputEnded = true
      this.maybeExited()
    })
    fromChild.on('error', () => {
      this.outputEnded = true
      this.maybeExited()
    })
    toChild.on('drain', () => this.onDrain.emit(undefined))
    toChild.on('error', () => {
      // EPIPE: the host closed its stdin or died; the exit is reported by 'exit'.
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL)
    })
    child.on('exit', (code, signal) => {
      this.exit = { code, signal }
      this.maybeExited()
    })
    child.on('error', (e) => {
      this.fail(`Failed to start native messaging host. (${e.message})`)
    })
  }

  /** Bytes written to the host's stdin that it has not read yet. */
  get bufferedAmount(): number {
    return this.toChild.writableLength
  }

  /** The last 8 KiB the host wrote to stderr. */
  get stderr(): string {
    return this.stderrTail
  }

  postMessage(message: unknown): void {
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object')
    const text = JSON.stringify(message)
    if (text === undefined) throw new TypeError('postMessage needs a JSON-serialisable message')
    const size = Buffer.byteLength(text)
    if (size > BROWSER_OUTBOUND_LIMIT)
      throw new Error(`Message exceeds maximum allowed size of 64MiB (${size} bytes)`)
    const frame = Buffer.allocUnsafe(4 + size)
    writeLength(frame, 0, size)
    frame.write(text, 4, 'utf8')
    this.toChild.write(frame)
    const max = this.opts.maxUnsentBytes ?? DEFAULT_MAX_HELD_BYTES
    if (this.toChild.writableLength > max)
      this.fail(
        `Error when communicating with the native messaging host. (${this.opts.hostName} stopped reading its ` +
          `stdin: ${this.toChild.writableLength} bytes are unread, over the limit of ${max} (maxUnsentBytes))`,
      )
  }

  disconnect(): void {
    if (this.disconnected) return
    this.disconnected = true
    this.shutdown()
  }

  private maybeExited(): void {
    if (this.disconnected || !this.outputEnded) return
    if (!this.exit) {
      // stdout closed but the process lives: wait briefly for the exit status to quote it.
      setTimeout(() => this.reportExit(), 200).unref()
      return
    }
    this.reportExit()
  }

  private reportExit(): void {
    if (this.disconnected) return
    const how = this.exit
      ? this.exit.signal
        ? `killed by ${this.exit.signal}`
        : `exit code ${this.exit.code}`
      : 'stdout closed'
    const tail = this.stderrTail.trim()
    this.fail(
      `Native host has exited. (${this.opts.hostName}: ${how}${tail ? `; stderr: ${tail.slice(-2000)}` : ''})`,
    )
  }

  private fail(message: string): void {
    if (this.disconnected) return
    this.disconnected = true
    this.error = { message }
    this.shutdown()
    this.onDisconnect.emit(this)
  }

  private shutdown(): void {
    this.toChild.end()
    if (this.exit) return
    const timer = setTimeout(() => {
      if (!this.exit) this.child.kill('SIGKILL')
    }, this.opts.killAfter)
    timer.unref()
    this.child.once('exit', () => clearTimeout(timer))
  }
}

/**
 * Returns a Port factory that starts a native host the way a browser does: real pipes, browser framing,
 * the caller's origin in argv, the host's folder as working directory, the 1 MiB limit on what the host
 * sends. Give it to `createClient` to call a host from Node: tests, CLIs, benchmarks.
 *
 * @example
 * import { createClient } from 'nmrpc/client'
 * import { spawnHost } from 'nmrpc/node'
 * const client = createClient<Host>(spawnHost('node', ['dist/host.js']))
 * console.log(await client.call.ping())
 */
export function spawnHost(
  command: string,
  args: readonly string[] = [],
  options: SpawnHostOptions = {},
): PortFactory {
  const script = args.find((a) => !a.startsWith('-') && existsSync(resolve(a)))
  const hostPath = script ? resolve(script) : isAbsolute(command) ? command : undefined
  const cwd = options.cwd ?? (hostPath ? dirname(hostPath) : process.cwd())
  // Arguments are resolved against our cwd, since the host runs in its own folder.
  const finalArgs = args.map((a) => (a === script ? resolve(a) : a))
  const browserArgs =
    options.browser === 'firefox'
      ? [options.manifestPath ?? resolve(cwd, 'nmrpc-host.json'), options.extensionId ?? 'nmrpc@localhost']
      : [options.origin ?? 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/']
  const hostName = options.hostName ?? basename(hostPath ?? command)
  const factory: PortFactory = () => {
    const pipes = options.pipes === 'socketpair' ? null : makeHostPipes()
    const stderr = options.stderr === 'pipe' ? 'pipe' : 'inherit'
    const child = spawn(command, [...finalArgs, ...browserArgs], {
      cwd,
      env: options.env ?? process.env,
      stdio: pipes ? [pipes.childStdin, pipes.childStdout, 'pipe'] : ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
    pipes?.release()
    if (stderr === 'inherit') child.stderr?.on('data', (c: Buffer) => process.stderr.write(c))
    options.onSpawn?.(child)
    return new ChildPort(
      child,
      pipes ? pipes.toChild : child.stdin!,
      pipes ? pipes.fromChild : child.stdout!,
      {
        maxMessageBytes: options.maxMessageBytes ?? BROWSER_INBOUND_LIMIT,
        killAfter: options.killAfter ?? 2_000,
        hostName,
        maxUnsentBytes: options.maxUnsentBytes,
      },
    )
  }
  factory.hostName = hostName
  return factory
}
