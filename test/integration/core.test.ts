import { afterEach, describe, expect, it } from 'vitest'
import { RpcError } from '../../src/client/index.js'
import { eventually, isAlive, startFixture } from './helpers.js'

let fixture: ReturnType<typeof startFixture>
afterEach(() => fixture?.dispose())

describe('calls over a real child process (spawnHost)', () => {
  it('answers typed calls: sync, async, nested, Date through superjson', async () => {
    fixture = startFixture()
    const { client } = fixture
    expect(await client.call.ping()).toBe('pong')
    expect(await client.call.add(1, 2)).toBe(3)
    expect(await client.call.math.div(1, 4)).toBe(0.25)
    const when = await client.call.when()
    expect(when).toBeInstanceOf(Date)
    expect(when.getTime()).toBe(0)
    const value = {
      m: new Map([[1, new Set(['x'])]]),
      big: 2n ** 70n,
      u: undefined,
      re: /a+/gi,
      n: [Number.NaN, -0],
    }
    expect(await client.call.echo(value)).toEqual(value)
  })

  it('says hello with the protocol version', async () => {
    fixture = startFixture()
    expect(await fixture.client.connect()).toEqual({ protocol: 1, impl: expect.stringMatching(/^nmrpc\//) })
    expect(fixture.client.state).toBe('open')
  })

  it('carries a thrown error as RpcError with name, message and code', async () => {
    fixture = startFixture()
    const err = await fixture.client.call.math.div(1, 0).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ name: 'RangeError', message: 'b is 0', code: 'HANDLER_ERROR' })
    expect((err as RpcError).remoteStack).toBeUndefined()
  })

  it("keeps a thrown error's own code and its data (through the codec)", async () => {
    fixture = startFixture()
    await expect(fixture.client.call.failNode()).rejects.toMatchObject({
      code: 'ENOENT',
      message: 'no such file',
    })
    const err = (await fixture.client.call.fail('QUOTA').catch((e: unknown) => e)) as RpcError<{
      at: Date
      tags: Set<string>
    }>
    expect(err.code).toBe('QUOTA')
    expect(err.data?.at).toEqual(new Date(5))
    expect(err.data?.tags).toEqual(new Set(['a']))
  })

  it('rejects an unknown method with NOT_FOUND naming it and listing what exists', async () => {
    fixture = startFixture()
    const call = (
      fixture.client.call as unknown as { nope: { deeper: () => Promise<unknown> } }
    ).nope.deeper()
    await expect(call).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(call).rejects.toThrow(/No method "nope.deeper" on host ".*"; it has: ping, add, math.div/)
  })

  it('times out a slow call, naming the method, and the handler sees the cancel', async () => {
    fixture = startFixture()
    const err = (await fixture.client
      .with({ timeout: 100 })
      .call.slow(60_000)
      .catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).toMatch(/^Call to "slow" on host "host.ts" timed out after 100 ms/)
    await eventually(
      () => fixture.marks().includes('slow finally aborted=true'),
      "slow's finally with an aborted signal",
    )
    expect(await fixture.client.call.ping()).toBe('pong')
  })

  it('aborts with a signal: rejects at once and the handler signal fires (its finally runs)', async () => {
    fixture = startFixture()
    await fixture.client.connect()
    const ac = new AbortController()
    const p = fixture.client.with({ signal: ac.signal }).call.slow(60_000)
    setTimeout(() => ac.abort(new Error('user left')), 50)
    await expect(p).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'Call to "slow" was aborted: user left',
    })
    await eventually(() => fixture.marks().includes('slow finally aborted=true'), "slow's finally")
  })

  it('rejects at once for an already aborted signal, sending nothing', async () => {
    fixture = startFixture()
    const ac = new AbortController()
    ac.abort()
    await expect(fixture.client.with({ signal: ac.signal }).call.ping()).rejects.toMatchObject({
      code: 'ABORTED',
    })
  })

  it('answers 10,000 concurrent calls, each with its own result', async () => {
    fixture = startFixture()
    const calls = Array.from({ length: 10_000 }, (_, i) => fixture.client.call.add(i, i))
    const results = await Promise.all(calls)
    expect(results.every((r, i) => r === 2 * i)).toBe(true)
  })

  it('keeps the stream intact when a handler uses console.log or process.stdout.write', async () => {
    fixture = startFixture()
    expect(await fixture.client.call.log('hello')).toBe(5)
    expect(await fixture.client.call.add(2, 2)).toBe(4)
    await eventually(() => fixture.ports[0]!.stderr.includes('raw: hello'), 'stray output on stderr')
    expect(fixture.ports[0]!.stderr).toContain('info: hello')
  })

  it('rejects every pending call when the host exits mid-call, quoting the browser-style reason', async () => {
    fixture = startFixture()
    await fixture.client.connect()
    const pending = [
      fixture.client.call.slow(60_000),
      fixture.client.call.slow(60_000),
      fixture.client.call.exit(7),
    ]
    for (const p of pending) {
      await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' })
      await expect(p).rejects.toThrow(/Native host has exited\. \(host.ts: exit code 7\)/)
    }
    expect(fixture.client.state).toBe('disconnected')
  })

  it("quotes a crashed host's stderr in the rejection", async () => {
    fixture = startFixture()
    await expect(fixture.client.call.crashSoon()).rejects.toThrow(
      /exit code 3; stderr: about to crash: disk on fire/,
    )
  })

  it('reconnects on the next call after the host died', async () => {
    fixture = startFixture()
    await expect(fixture.client.call.exit(1)).rejects.toMatchObject({ code: 'DISCONNECTED' })
    expect(await fixture.client.call.ping()).toBe('pong')
    expect(fixture.pids).toHaveLength(2)
  })

  it('closes the Port like a browser when the host writes a message over 1 MiB', async () => {
    fixture = startFixture()
    const err = (await fixture.client.call.bigRaw(1.5 * 1024 * 1024).catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe('DISCONNECTED')
    expect(err.message).toMatch(/over the limit of 1048576 bytes/)
    await eventually(() => !isAlive(fixture.pids[0]!), 'the host to be stopped')
  })

  it('gives the host its launch context from argv (Chromium and Firefox styles)', async () => {
    fixture = startFixture({ spawn: { origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/' } })
    expect(await fixture.client.call.caller()).toMatchObject({
      browser: 'chromium',
      extensionId: 'knldjmfmopnpolahpmmgbagdohdnhkik',
      origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/',
    })
    fixture.dispose()
    fixture = startFixture({
      spawn: { browser: 'firefox', manifestPath: '/tmp/x/com.acme.json', extensionId: 'ping@example.org' },
    })
    expect(await fixture.client.call.caller()).toMatchObject({
      browser: 'firefox',
      manifestPath: '/tmp/x/com.acme.json',
      extensionId: 'ping@example.org',
    })
  })

  it('exits promptly when stdin closes (client.close), leaving no process behind', async () => {
    fixture = startFixture()
    await fixture.client.connect()
    const pid = fixture.pids[0]!
    fixture.client.close()
    await eventually(() => !isAlive(pid), 'the host to exit after stdin closed', 2_000)
    await expect(fixture.client.call.ping()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
