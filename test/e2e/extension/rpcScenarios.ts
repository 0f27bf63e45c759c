// Scenarios that go through nmrpc/client, resolved from the built package. Each one opens its own
// client and closes it, so a host that dies in one scenario cannot affect the next.
import { createClient, RpcError } from 'nmrpc/client'
import type { ExtensionApi, HostEvents } from '../fixtures/extensionApi'
import type { Host } from '../fixtures/rpcHost'

/** An error as plain JSON, with what only the client side can tell (instanceof RpcError). */
export interface ErrorReport {
  readonly isRpcError: boolean
  readonly name: string
  readonly code: string | null
  readonly message: string
}

function report(err: unknown): ErrorReport {
  const e = err instanceof Error ? err : new Error(String(err))
  const code = (e as { code?: unknown }).code
  return {
    isRpcError: err instanceof RpcError,
    name: e.name,
    code: typeof code === 'string' ? code : null,
    message: e.message,
  }
}

async function withClient<T>(
  host: string,
  fn: (c: ReturnType<typeof createClient<Host>>) => Promise<T>,
): Promise<T> {
  const client = createClient<Host>(host)
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}

async function expectFailure(p: Promise<unknown>): Promise<ErrorReport> {
  try {
    await p
  } catch (err) {
    return report(err)
  }
  throw new Error('expected the call to fail, but it resolved')
}

export function rpcHello(host: string) {
  return withClient(host, async (c) => {
    const info = await c.connect()
    return { protocol: info.protocol, impl: info.impl, pong: await c.call.ping() }
  })
}

export function rpcUnary(host: string) {
  return withClient(host, async (c) => {
    const sum: number = await c.call.add(2, 40)
    const sent = new Date('2024-02-29T12:34:56.789Z')
    const { hostSawDate, shifted } = await c.call.shiftDate(sent, 1)
    const shiftedIso: string = shifted.toISOString()
    return { sum, sumType: typeof sum, hostSawDate, shiftedIsDate: shifted instanceof Date, shiftedIso }
  })
}

export function rpcNested(host: string) {
  return withClient(host, async (c) => ({ mean: await c.call.math.stats.mean([1, 2, 3, 4, 10]) }))
}

export function rpcErrors(host: string) {
  return withClient(host, async (c) => ({
    coded: await expectFailure(c.call.failWithCode('ENOENT', 'no such file /nope')),
    range: await expectFailure(c.call.divide(1, 0)),
    afterwards: await c.call.divide(1, 4),
  }))
}

export function rpcAbort(host: string, tag: string) {
  return withClient(host, async (c) => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const aborted = await expectFailure(c.with({ signal: controller.signal }).call.sleep(60_000, tag))
    const timedOut = await expectFailure(c.with({ timeout: 200 }).call.sleep(60_000, `${tag}-timeout`))
    return { aborted, timedOut, stillUsable: await c.call.ping() }
  })
}

export function rpcStream(host: string, n: number, tag: string) {
  return withClient(host, async (c) => {
    let count = 0
    let inOrder = true
    for await (const i of c.call.count(n, tag)) {
      if (i !== count) inOrder = false
      count++
    }
    return { count, inOrder }
  })
}

export function rpcStreamBreak(host: string, n: number, stopAfter: number, tag: string) {
  return withClient(host, async (c) => {
    const seen: number[] = []
    for await (const i of c.call.count(n, tag)) {
      seen.push(i)
      if (seen.length === stopAfter) break
    }
    // The client stays open a moment so the cancel reaches the host before close() would end it anyway.
    await new Promise((r) => setTimeout(r, 300))
    return { seen }
  })
}

export function rpcBig(host: string, bytes: number) {
  return withClient(host, async (c) => {
    const text = await c.call.big(bytes)
    const unit = '0123456789abcdefghijklmnopqrstuvwxyz'
    let intact = true
    for (let i = 0; i < text.length; i += 4099) if (text[i] !== unit[i % unit.length]) intact = false
    return { length: text.length, intact, tail: text.slice(-8) }
  })
}

/** A binary result and a binary upload, both large enough to travel as `bin` parts through the Port. */
export function rpcBinary(host: string, bytes: number) {
  return withClient(host, async (c) => {
    const got = await c.call.bytes(bytes)
    let intact = got instanceof Uint8Array && got.length === bytes
    for (let i = 0; intact && i < got.length; i++) if (got[i] !== ((i * 31 + 7) & 0xff)) intact = false
    const upload = new Uint8Array(bytes)
    let sum = 0
    for (let i = 0; i < bytes; i++) {
      upload[i] = (i * 13) & 0xff
      sum = (sum * 33 + upload[i]!) >>> 0
    }
    const echoed = await c.call.checksum(upload)
    return { intact, upload: echoed, expectedSum: sum }
  })
}

export function rpcHostExits(host: string) {
  return withClient(host, async (c) => {
    await c.call.ping()
    const failure = await expectFailure(c.call.exitMidCall(3))
    return { failure }
  })
}

export function rpcMissing(host: string) {
  return withClient(host, async (c) => ({ failure: await expectFailure(c.call.ping()) }))
}

export function rpcCaller(host: string) {
  return withClient(host, async (c) => ({ caller: await c.call.whoCalled() }))
}

/** The same measurements as `rawBench`, through nmrpc's `echo`. */
export function rpcBench(host: string, n: number, payloadBytes: number) {
  return withClient(host, async (c) => {
    const payload = 'x'.repeat(payloadBytes)
    // Warm up the JIT on both ends and the host's start, so the first timed calls are not outliers.
    for (let i = 0; i < Math.min(n, 50); i++) await c.call.echo(payload)
    let t = performance.now()
    for (let i = 0; i < n; i++) await c.call.echo(payload)
    const sequentialMs = performance.now() - t
    t = performance.now()
    await Promise.all(Array.from({ length: n }, () => c.call.echo(payload)))
    const pipelinedMs = performance.now() - t
    return { sequentialMs, pipelinedMs }
  })
}

/** Time to receive one large result, which nmrpc cuts into chunks under the 1 MiB browser limit. */
export function rpcBigBench(host: string, bytes: number) {
  return withClient(host, async (c) => {
    await c.call.big(1024)
    const t = performance.now()
    const text = await c.call.big(bytes)
    return { ms: performance.now() - t, length: text.length }
  })
}

/** What the extension offers the host: `ctx.peer` and `host.peer()` call these. */
const extensionHandlers: ExtensionApi = {
  ext: { upper: (text: string) => text.toUpperCase() },
}

/** Calls that start on the host: a callback during a call, an event, and a call from a host timer. */
export async function rpcFromHost(host: string) {
  const client = createClient<Host, HostEvents>(host, { handlers: extensionHandlers })
  try {
    const tick = new Promise<HostEvents['tick']>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "tick" event from the host within 10 s')), 10_000)
      client.on('tick', (data) => {
        clearTimeout(timer)
        resolve(data)
      })
    })
    const duringCall = await client.call.askExtension('hello')
    await client.call.emitTick(7)
    const event = await tick
    await client.call.pokeLater('later')
    // The host's own call arrives after pokeLater returned; stay connected until it has been answered.
    await new Promise((r) => setTimeout(r, 500))
    return { duringCall, tick: { n: event.n, atIsDate: event.at instanceof Date } }
  } finally {
    client.close()
  }
}

/**
 * One-shot mode: every call goes through `runtime.sendNativeMessage` (Chromium's callback form, Firefox's
 * promise form), the browser starts the host for it and stops it after the reply.
 */
export async function rpcOneShot(host: string) {
  const client = createClient<Host>(host, { mode: 'oneshot' })
  const sum: number = await client.call.add(20, 22)
  const { shifted } = await client.call.shiftDate(new Date('2024-02-29T12:34:56.789Z'), 1)
  const failure = await expectFailure(client.call.divide(1, 0))
  const stream = await expectFailure(
    (async () => {
      for await (const _ of client.call.count(3, 'oneshot')) {
      }
    })(),
  )
  client.close()
  return { sum, shiftedIsDate: shifted instanceof Date, failure, stream }
}
