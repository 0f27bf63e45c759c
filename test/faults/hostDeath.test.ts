// A host that dies (SIGKILL, exit 0) while calls and streams are in flight: every call and stream on the
// client ends with DISCONNECTED, with the browser's words and the exit in the message, and nothing hangs.
import { afterEach, describe, expect, it } from 'vitest'
import type { RpcError } from '../../src/client/index.js'
import { type FaultClient, startFaultClient } from './faultClient.js'
import { until } from './rawHost.js'

const MiB = 1024 * 1024
let fx: FaultClient | undefined
afterEach(() => {
  fx?.dispose()
  fx = undefined
})

/** Settles every promise and returns how each ended: its value, or its error's code and message. */
async function outcomes(ps: Array<PromiseLike<unknown>>) {
  const rs = await Promise.allSettled(ps)
  return rs.map((r) =>
    r.status === 'fulfilled'
      ? { value: r.value }
      : { code: (r.reason as RpcError).code, message: (r.reason as RpcError).message },
  )
}

/** Reads a stream to its end or error; returns the items read and the error. */
async function drain(stream: AsyncIterable<unknown>, onItem?: (n: number) => void) {
  let n = 0
  try {
    for await (const _ of stream) onItem?.(++n)
    return { n, error: undefined }
  } catch (e) {
    return { n, error: e as RpcError }
  }
}

describe('the host is killed (SIGKILL)', () => {
  it('mid-call: every pending call rejects with DISCONNECTED naming the signal', async () => {
    fx = startFaultClient()
    const { client } = fx
    const pid = await client.call.pid()
    const pending = [
      client.call.hang('a'),
      client.call.hang('b'),
      client.call.slow(60_000, 'c'),
      client.with({ timeout: 0 }).call.hang('d'),
      // A chunked result in flight: 100 MiB takes seconds to cross, the kill comes right after it started.
      client.call.big(100 * MiB),
    ]
    await until(
      () => fx!.marks().filter((m) => /^(hang|big) started/.test(m)).length === 4,
      'handlers started',
    )
    process.kill(pid, 'SIGKILL')
    const results = await outcomes(pending)
    for (const r of results) {
      expect(r).toMatchObject({ code: 'DISCONNECTED' })
      expect(r.message).toContain('Native host has exited.')
      expect(r.message).toContain('killed by SIGKILL')
    }
    // The next call starts a new host and works.
    expect(await client.call.ping()).toBe('pong')
  })

  it('mid-stream: a stream being read and one not yet read both reject', async () => {
    fx = startFaultClient()
    const { client } = fx
    const pid = await client.call.pid()
    let killed = false
    const reading = drain(client.call.flood(64 * 1024, 'read'), (n) => {
      if (n === 100 && !killed) {
        killed = true
        process.kill(pid, 'SIGKILL')
      }
    })
    const unread = client.call.flood(1024, 'unread')
    const read = await reading
    expect(read.n).toBeGreaterThanOrEqual(100)
    expect(read.error).toMatchObject({ code: 'DISCONNECTED' })
    expect(read.error!.message).toContain('killed by SIGKILL')
    const later = await drain(unread)
    expect(later.error).toMatchObject({ code: 'DISCONNECTED' })
    expect(fx.client.state).toBe('disconnected')
  })

  it('mid-upload: the call rejects and the client-side source generator runs its finally', async () => {
    fx = startFaultClient()
    const { client } = fx
    const pid = await client.call.pid()
    let finallyRan = false
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i
      } finally {
        finallyRan = true
      }
    }
    const upload = client.with({ timeout: 0 }).call.sum(source())
    await until(() => fx!.marks().includes('sum read 1000'), 'the upload to flow')
    process.kill(pid, 'SIGKILL')
    await expect(upload).rejects.toMatchObject({ code: 'DISCONNECTED' })
    await until(() => finallyRan, "the source generator's finally")
  })
})

describe('the host exits on its own', () => {
  it('with exit code 0 while calls and a stream are pending: all reject with DISCONNECTED', async () => {
    fx = startFaultClient()
    const { client } = fx
    await client.connect()
    const stream = drain(client.call.flood(16, 'exit0'))
    const pending = [client.call.hang('x'), client.call.slow(60_000, 'y'), client.call.exit(0)]
    const results = await outcomes(pending)
    for (const r of results) {
      expect(r).toMatchObject({ code: 'DISCONNECTED' })
      expect(r.message).toContain('exit code 0')
    }
    expect((await stream).error).toMatchObject({ code: 'DISCONNECTED' })
    await fx.allExited()
    expect(fx.children[0]!.exitCode).toBe(0)
  })
})
