import { afterEach, describe, expect, it } from 'vitest'
import { type ClientState, withContext } from '../../src/client/index.js'
import type { ExtensionApi } from '../fixtures/host.js'
import { eventually, isAlive, startFixture } from './helpers.js'

let fixture: ReturnType<typeof startFixture>
afterEach(() => fixture?.dispose())

let hangSignal: AbortSignal | undefined
const extensionHandlers = {
  ui: {
    confirm: (q: string) => `confirmed ${q}`,
    fail: () => {
      throw new TypeError('the user said no')
    },
    hang: withContext((ctx) => {
      hangSignal = ctx.signal
      return new Promise<never>(() => {})
    }),
  },
} satisfies Record<keyof ExtensionApi, unknown>

describe('the host calls back', () => {
  it('calls an extension handler during a call', async () => {
    fixture = startFixture({ client: { handlers: extensionHandlers } })
    expect(await fixture.client.call.askExtension('unlock?')).toBe('confirmed unlock?')
  })

  it('calls the extension outside any call (from a timer) and emits an event', async () => {
    fixture = startFixture({ client: { handlers: extensionHandlers } })
    const ticks: unknown[] = []
    const off = fixture.client.on('tick', (t) => ticks.push(t))
    expect(await fixture.client.call.later(20)).toBe('scheduled')
    await eventually(
      () => fixture.marks().includes('later got confirmed later'),
      'the host to call the extension',
    )
    await eventually(() => ticks.length === 1, 'the event')
    expect(ticks).toEqual([{ n: 2, at: new Date(2) }])
    off()
    await fixture.client.call.emitNow(5)
    expect(await fixture.client.call.ping()).toBe('pong')
    expect(ticks).toHaveLength(1)
  })

  it('carries an error thrown by an extension handler back to the host', async () => {
    fixture = startFixture({ client: { handlers: extensionHandlers } })
    expect(await fixture.client.call.extensionFails()).toEqual({
      name: 'TypeError',
      code: 'HANDLER_ERROR',
      message: 'the user said no',
    })
  })

  it('times out a host-to-extension call, and the extension handler signal fires', async () => {
    hangSignal = undefined
    fixture = startFixture({ client: { handlers: extensionHandlers }, env: { NMRPC_HOST_TIMEOUT: '100' } })
    const r = await fixture.client.call.extensionTimesOut()
    expect(r).toMatchObject({ code: 'TIMEOUT' })
    expect(r.message).toMatch(
      /^Call to "ui.hang" on the extension \(chrome-extension:\/\/a{32}\/\) timed out after 100 ms/,
    )
    await eventually(() => hangSignal?.aborted === true, "the extension handler's signal")
  })

  it('answers NOT_FOUND when the extension exposes no handlers', async () => {
    fixture = startFixture()
    expect(await fixture.client.call.extensionFails()).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No method "ui.fail" on the extension; it exposes no methods',
    })
  })

  it('delivers an event from the extension to the host', async () => {
    fixture = startFixture()
    await fixture.client.connect()
    fixture.client.emit('focus', { tab: 3, at: new Date(0) })
    await eventually(
      () => fixture.marks().some((m) => m.startsWith('event focus')),
      'the host to get the event',
    )
    expect(fixture.marks()).toContain('event focus {"tab":3,"at":"1970-01-01T00:00:00.000Z"}')
  })
})

describe('lifecycle', () => {
  it('reports its state and why it disconnected; pending calls say so too', async () => {
    fixture = startFixture()
    const states: Array<[ClientState, string | undefined]> = []
    fixture.client.onStateChange((s, e) => states.push([s, e?.code]))
    expect(fixture.client.state).toBe('idle')
    await fixture.client.connect()
    const pending = fixture.client.call.slow(60_000)
    await expect(fixture.client.call.exit(4)).rejects.toMatchObject({ code: 'DISCONNECTED' })
    await expect(pending).rejects.toThrow(/Native host has exited\. \(host.ts: exit code 4\)/)
    expect(fixture.client.state).toBe('disconnected')
    expect(fixture.client.lastError?.message).toMatch(/exit code 4/)
    expect(states).toEqual([
      ['connecting', undefined],
      ['open', undefined],
      ['disconnected', 'DISCONNECTED'],
    ])
  })

  it('reconnects by itself with backoff when asked, so events keep coming', async () => {
    fixture = startFixture({ client: { reconnect: { initialDelay: 50 } } })
    const ticks: number[] = []
    fixture.client.on('tick', (t) => ticks.push(t.n))
    await fixture.client.connect()
    await expect(fixture.client.call.exit(1)).rejects.toMatchObject({ code: 'DISCONNECTED' })
    await eventually(() => fixture.client.state === 'open' && fixture.pids.length === 2, 'a reconnect')
    await fixture.client.call.emitNow(7)
    await eventually(() => ticks.includes(7), 'an event on the new connection')
  })

  it('does not reconnect by default', async () => {
    fixture = startFixture()
    await expect(fixture.client.call.exit(1)).rejects.toMatchObject({ code: 'DISCONNECTED' })
    await new Promise((r) => setTimeout(r, 300))
    expect(fixture.client.state).toBe('disconnected')
    expect(fixture.pids).toHaveLength(1)
  })

  it('closes: pending calls reject with CLOSED and host streams run their finally', async () => {
    fixture = startFixture()
    const it = fixture.client.call.count(1_000_000, 1)[Symbol.asyncIterator]()
    await it.next()
    const pending = fixture.client.call.slow(60_000)
    fixture.client.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(it.next()).rejects.toMatchObject({ code: 'CLOSED' })
    await eventually(
      () => fixture.marks().includes('count finally n=1000000'),
      "the host generator's finally",
    )
    await eventually(
      () => fixture.marks().includes('slow finally aborted=true'),
      "the host handler's finally",
    )
  })

  it('on SIGTERM during a stream, the generator finally runs, the stream ends CLOSED and the host exits 0', async () => {
    fixture = startFixture()
    const it = fixture.client.call.count(1_000_000, 1)[Symbol.asyncIterator]()
    await it.next()
    const child = fixture.ports[0]!.child
    child.kill('SIGTERM')
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) {}
      })(),
    ).rejects.toMatchObject({ code: 'CLOSED', message: expect.stringMatching(/the host is shutting down/) })
    await eventually(() => child.exitCode !== null, 'the host to exit', 2_000)
    expect(child.exitCode).toBe(0)
    expect(fixture.marks()).toContain('count finally n=1000000')
  })
})

describe('one-shot mode', () => {
  it('starts the host once per call, with the same call API', async () => {
    fixture = startFixture({ client: { mode: 'oneshot' } })
    expect(await fixture.client.call.add(2, 3)).toBe(5)
    expect(await fixture.client.call.when()).toEqual(new Date(0))
    await expect(fixture.client.call.math.div(1, 0)).rejects.toMatchObject({
      name: 'RangeError',
      message: 'b is 0',
    })
    expect(fixture.pids).toHaveLength(3)
    await eventually(() => fixture.pids.every((p) => !isAlive(p)), 'every one-shot host to exit')
  })

  it('explains what one-shot cannot do', async () => {
    fixture = startFixture({ client: { mode: 'oneshot' } })
    await expect(fixture.client.call.count(3)).rejects.toMatchObject({ code: 'NOT_A_STREAM' })
    await expect(fixture.client.call.text(4 * 1024 * 1024)).rejects.toThrow(/larger than one message/)
    await expect(fixture.client.with({ timeout: 100 }).call.slow(60_000)).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    await expect(fixture.client.connect()).rejects.toThrow("connect() needs mode 'port'")
  })
})
