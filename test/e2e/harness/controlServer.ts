import { createServer, type Server, type Socket } from 'node:net'

/** What the extension sends back for one request. */
export type ControlReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number
      readonly ok: false
      readonly error: { readonly name: string; readonly message: string }
    }

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null
}

/**
 * The test's end of the Firefox control channel: a Unix socket that the control host connects to once
 * the extension has started. `run` sends a scenario name and arguments; the extension answers with the
 * scenario's JSON result or its error.
 *
 * @example
 * const control = await ControlServer.listen(join(run.root, 'control.sock'))
 * await control.ready(60_000)
 * await control.run('rawPing', ['hi'])
 */
export class ControlServer {
  private socket: Socket | undefined
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readyWaiters: Array<() => void> = []
  private buffer = ''
  private closedReason: Error | undefined

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => this.attach(socket))
  }

  static listen(path: string): Promise<ControlServer> {
    const server = createServer()
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => resolve(new ControlServer(server)))
    })
  }

  private attach(socket: Socket): void {
    socket.setEncoding('utf8')
    socket.on('data', (text: string) => {
      this.buffer += text
      let nl = this.buffer.indexOf('\n')
      while (nl >= 0) {
        try {
          this.receive(this.buffer.slice(0, nl))
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)))
        }
        this.buffer = this.buffer.slice(nl + 1)
        nl = this.buffer.indexOf('\n')
      }
    })
    socket.on('close', () => {
      if (this.socket === socket)
        this.fail(new Error('The control host disconnected (the extension or Firefox went away).'))
    })
    socket.on('error', () => {})
    this.socket = socket
  }

  private receive(line: string): void {
    const message: unknown = JSON.parse(line)
    if (!isRecord(message)) throw new Error(`control: expected an object from the extension, got ${line}`)
    if (message.ready === true) {
      for (const wake of this.readyWaiters) wake()
      this.readyWaiters = []
      return
    }
    const id = typeof message.id === 'number' ? message.id : -1
    const waiter = this.pending.get(id)
    if (!waiter) throw new Error(`control: reply for unknown request ${line}`)
    this.pending.delete(id)
    if (message.ok === true) waiter.resolve(message.value)
    else {
      const error = isRecord(message.error) ? message.error : {}
      const err = new Error(String(error.message ?? line))
      err.name = String(error.name ?? 'Error')
      waiter.reject(err)
    }
  }

  private fail(err: Error): void {
    this.closedReason = err
    this.socket = undefined
    for (const waiter of this.pending.values()) waiter.reject(err)
    this.pending.clear()
  }

  /** Resolves once the extension said it is ready; rejects with `describe()` after `ms`. */
  ready(ms: number, describe: () => string = () => ''): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `The Firefox extension did not connect to the control host within ${ms} ms. ${describe()}`,
            ),
          ),
        ms,
      )
      this.readyWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Runs a named scenario in the extension and resolves with its JSON result. */
  run(name: string, args: readonly unknown[], ms = 120_000): Promise<unknown> {
    const socket = this.socket
    if (!socket)
      return Promise.reject(this.closedReason ?? new Error('control: the extension is not connected'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`Scenario "${name}" got no answer from Firefox within ${ms} ms.`))
      }, ms)
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      socket.write(`${JSON.stringify({ id, name, args })}\n`)
    })
  }

  close(): Promise<void> {
    this.socket?.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
