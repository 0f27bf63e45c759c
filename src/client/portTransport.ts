import type { RpcErrorCode } from '../shared/errors.js'
import type { CloseInfo, Transport, TransportSink } from '../shared/transport.js'
import { type PortLike, portErrorMessage } from './port.js'

/**
 * Turns the browser's words for a closed Port into a code and a message that says what to do. The
 * browser's own text is always kept in the message.
 */
export function describeDisconnect(
  host: string,
  browserMessage: string | undefined,
  registered = true,
): CloseInfo {
  const said = browserMessage ?? 'the Port closed without giving a reason'
  // Classify on the browser's words only, never on what the host printed: spawnHost quotes the host's
  // stderr after "; stderr:", and a host that crashed saying "config file not found" is not missing.
  const cut = said.indexOf('; stderr:')
  const words = cut < 0 ? said : said.slice(0, cut)
  let code: RpcErrorCode = 'DISCONNECTED'
  // Only a registered host name can be given to doctor; a spawned script cannot.
  const doctor = registered ? `nmrpc doctor --name ${host}` : 'nmrpc doctor'
  let fix = `run \`${doctor}\` to check the host`
  if (/has exited/i.test(words)) {
    fix = /\bexit code 127\b/.test(words)
      ? 'the host exited with code 127: the command its launcher runs was not found (the Node.js it was ' +
        `installed with may have been moved or removed); run \`nmrpc install\` again to point it at a Node that exists`
      : `the host process ended (it crashed, exited, or could not start); run \`${doctor}\` to see its stderr`
  } else if (/^(specified native messaging host not found|no such native application)/i.test(words)) {
    code = 'HOST_NOT_FOUND'
    // Browsers use these same words for every manifest they cannot use, so list what they really mean.
    fix =
      `the browser found no usable manifest for "${host}". Browsers say this when: there is no manifest where ` +
      `this browser looks (register it with \`nmrpc install --name ${host} --host <path> --extension-id <id>\`; ` +
      `one in another browser's folder, say Google Chrome's while running Chromium, or the usual folder while ` +
      `running with --user-data-dir, does not count); the manifest is not valid JSON; its ` +
      `"name" is not "${host}"; its "path" is relative or missing; an "allowed_origins" entry lacks its ` +
      `trailing slash (chrome-extension://<id>/); in Firefox, "allowed_extensions" does not list this ` +
      `extension. Run \`${doctor}\` to see which one`
  } else if (
    /^access to the specified native messaging host is forbidden|not allowed|access .* denied/i.test(words)
  ) {
    code = 'FORBIDDEN'
    fix = `add this extension to "allowed_origins" (Chromium) or "allowed_extensions" (Firefox) in the manifest of "${host}"`
  } else if (/error when communicating|exceeds the limit/i.test(words)) {
    fix = `the host wrote something that is not a framed message (stray stdout?) or a message over 1 MiB, or stopped reading; run \`${doctor}\``
  }
  return { code, message: `native host "${host}" disconnected: ${said} (${fix})` }
}

/**
 * Runs `fn` in a later task (not a microtask), so that other work queued meanwhile goes first. Unlike
 * `setTimeout(fn, 0)`, which browsers clamp to 4 ms once nested, a MessageChannel task runs at once.
 */
function nextTask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown }
  if (typeof g.setImmediate === 'function') {
    g.setImmediate(fn)
    return
  }
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    fn()
  }
  channel.port2.postMessage(null)
}

/**
 * The session's transport over a WebExtension Port. The browser serialises messages itself, so this is an
 * object transport; chunk pieces and binary slices are spaced one per task so that other calls' messages
 * interleave with a large transfer instead of queueing behind all of it.
 */
export class PortTransport implements Transport {
  readonly kind = 'object' as const
  #closed = false
  #sink: TransportSink | null = null
  #drainScheduled = false

  readonly #port: PortLike
  readonly #host: string
  /** The host was opened by its registered name (not a port factory such as spawnHost). */
  readonly #registered: boolean

  constructor(
    port: PortLike,
    host: string,
    readonly maxMessageBytes: number,
    registered: boolean,
  ) {
    this.#port = port
    this.#host = host
    this.#registered = registered
  }

  /** What a Port that can tell (spawnHost's) holds unread by the host; browsers' Ports cannot tell. */
  get buffered(): number | undefined {
    return (this.#port as { bufferedAmount?: number }).bufferedAmount
  }

  start(sink: TransportSink): void {
    this.#sink = sink
    // spawnHost's Port says when the host has read what it was given: bulk data then waits for it.
    const drains = (this.#port as { onDrain?: { addListener(fn: () => void): void } }).onDrain
    drains?.addListener(() => {
      if (!this.#closed) sink.drain()
    })
    this.#port.onMessage.addListener((m) => {
      if (!this.#closed) sink.message(m)
    })
    this.#port.onDisconnect.addListener((p) => {
      const said = portErrorMessage(p ?? this.#port)
      this.#finish(describeDisconnect(this.#host, said, this.#registered))
    })
  }

  send(message: string | object): boolean {
    if (this.#closed) return true
    try {
      this.#port.postMessage(message)
    } catch (e) {
      // Chromium throws on a disconnected Port before onDisconnect has run.
      this.#finish(
        describeDisconnect(this.#host, e instanceof Error ? e.message : String(e), this.#registered),
      )
      return true
    }
    // A host that reads slower than we write: wait for it (spawnHost's Port says when it drained).
    const buffered = this.buffered
    if (buffered !== undefined && buffered > this.maxMessageBytes) return false
    // Bulk pieces (chunks and binary slices) go one per task, so other messages get in between.
    const kind = (message as { t?: unknown }).t
    if (kind !== 'chunk' && kind !== 'bin' && kind !== 'str') return true
    if (!this.#drainScheduled) {
      this.#drainScheduled = true
      nextTask(() => {
        this.#drainScheduled = false
        this.#sink?.drain()
      })
    }
    return false
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#port.disconnect()
    } catch {
      // already disconnected
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#closed) return
    this.#closed = true
    this.#sink?.closed(info)
  }
}
