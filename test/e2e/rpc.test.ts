// nmrpc end to end: the extension is bundled from the built package, the host too, and every call
// crosses a real browser's native messaging.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ErrorReport } from './extension/rpcScenarios'
import { waitForEvent } from './harness/events'
import { describeEachBrowser } from './harness/findBrowsers'
import { type E2eSession, openBrowser } from './harness/openBrowser'
import { processesOf } from './harness/processes'

const rpcHost = fileURLToPath(new URL('./fixtures/rpcHost.ts', import.meta.url))
const hostName = 'com.nmrpc.e2e.rpc'
const missingHost = 'com.nmrpc.e2e.missing'
const deniedHost = 'com.nmrpc.e2e.denied'

// What a call in flight fails with when the host process exits. Chromium gives its own text in
// lastError; Firefox ESR 153 closes the Port with port.error null (seen here),
// so there the only text is nmrpc's, which must still name the host.
const hostExitedText = {
  chromium: 'Native host has exited.',
  firefox: `native host "${hostName}" disconnected`,
} as const

describeEachBrowser('nmrpc through %s', (name) => {
  let session: E2eSession
  let events = ''

  beforeAll(async () => {
    session = await openBrowser(name, {
      hosts: (run) => {
        events = join(run.root, 'host-events.log')
        return [{ name: hostName, script: rpcHost, env: { NMRPC_E2E_EVENTS: events } }]
      },
    })
  })
  afterAll(async () => {
    const root = session?.run.root
    await session?.close()
    if (root) expect(processesOf(root)).toEqual([])
  })

  it('runs the built package: nmrpc/client and nmrpc/server come from dist through the exports map', () => {
    expect(session.bundleInputs.filter((p) => p.startsWith('dist/client/'))).not.toEqual([])
    expect(session.hostInputs.filter((p) => p.startsWith('dist/server/'))).not.toEqual([])
    expect([...session.bundleInputs, ...session.hostInputs].filter((p) => p.startsWith('src/'))).toEqual([])
  })

  it('says hello: the host answers the protocol handshake', async () => {
    const hello = await session.browser.run<{ protocol: number; impl: string; pong: string }>(
      'rpcHello',
      hostName,
    )
    expect(hello).toEqual({ protocol: 1, impl: expect.stringMatching(/^nmrpc\//), pong: 'pong' })
  })

  it('makes a unary call with a typed result and carries a Date both ways', async () => {
    expect(await session.browser.run('rpcUnary', hostName)).toEqual({
      sum: 42,
      sumType: 'number',
      hostSawDate: true,
      shiftedIsDate: true,
      shiftedIso: '2024-03-01T12:34:56.789Z',
    })
  })

  it('calls into a nested namespace', async () => {
    expect(await session.browser.run('rpcNested', hostName)).toEqual({ mean: 4 })
  })

  it('delivers thrown errors as RpcError with name, code and message, and the client stays usable', async () => {
    const result = await session.browser.run<{ coded: ErrorReport; range: ErrorReport; afterwards: number }>(
      'rpcErrors',
      hostName,
    )
    expect(result.coded).toEqual({
      isRpcError: true,
      name: 'CodedError',
      code: 'ENOENT',
      message: 'no such file /nope',
    })
    expect(result.range).toEqual({
      isRpcError: true,
      name: 'RangeError',
      code: 'HANDLER_ERROR',
      message: 'cannot divide 1 by 0',
    })
    expect(result.afterwards).toBe(0.25)
  })

  it('aborts a call and times one out; the host sees the abort', async () => {
    const tag = `abort-${name}`
    const result = await session.browser.run<{
      aborted: ErrorReport
      timedOut: ErrorReport
      stillUsable: string
    }>('rpcAbort', hostName, tag)
    expect(result.aborted).toMatchObject({ isRpcError: true, code: 'ABORTED' })
    expect(result.timedOut).toMatchObject({ isRpcError: true, code: 'TIMEOUT' })
    expect(result.stillUsable).toBe('pong')
    expect(await waitForEvent(events, `sleep aborted ${tag}`, 5_000)).toContain(`sleep aborted ${tag}`)
  })

  it('streams 1,000 items in order', async () => {
    expect(await session.browser.run('rpcStream', hostName, 1_000, `all-${name}`)).toEqual({
      count: 1_000,
      inOrder: true,
    })
    expect(await waitForEvent(events, `count finally all-${name}`, 5_000)).toContain(
      `count finally all-${name}`,
    )
  })

  it('stops the producer when the consumer breaks early: the host generator finally runs', async () => {
    const tag = `break-${name}`
    const result = await session.browser.run<{ seen: number[] }>(
      'rpcStreamBreak',
      hostName,
      1_000_000,
      5,
      tag,
    )
    expect(result.seen).toEqual([0, 1, 2, 3, 4])
    expect(await waitForEvent(events, `count finally ${tag}`, 10_000)).toContain(`count finally ${tag}`)
  })

  it('returns a 10 MiB result, which has to travel as str parts under the 1 MiB browser limit', async () => {
    const bytes = 10 * 1024 * 1024
    expect(await session.browser.run('rpcBig', hostName, bytes)).toEqual({
      length: bytes,
      intact: true,
      tail: '0123456789abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(bytes / 36)).slice(bytes - 8, bytes),
    })
  })

  it('moves 6 MiB of binary each way as bin parts under the browser limit, byte-exact', async () => {
    const bytes = 6 * 1024 * 1024
    const r = await session.browser.run<{
      intact: boolean
      upload: { isBytes: boolean; length: number; sum: number }
      expectedSum: number
    }>('rpcBinary', hostName, bytes)
    expect(r.intact).toBe(true)
    expect(r.upload).toEqual({ isBytes: true, length: bytes, sum: r.expectedSum })
  })

  it('tells the host who called: the launch context from argv', async () => {
    const { caller } = await session.browser.run<{ caller: unknown }>('rpcCaller', hostName)
    expect(JSON.stringify(caller)).toContain(session.extensionId)
  })

  it('serves calls that start on the host: a callback during a call, an event, a call from a host timer', async () => {
    expect(await session.browser.run('rpcFromHost', hostName)).toEqual({
      duringCall: 'host got HELLO',
      tick: { n: 7, atIsDate: true },
    })
    expect(await waitForEvent(events, 'peer said LATER', 5_000)).toContain('peer said LATER')
  })

  it('works in one-shot mode through runtime.sendNativeMessage: a host per call, same call API', async () => {
    const r = await session.browser.run<{
      sum: number
      shiftedIsDate: boolean
      failure: ErrorReport
      stream: ErrorReport
    }>('rpcOneShot', hostName)
    expect(r.sum).toBe(42)
    expect(r.shiftedIsDate).toBe(true)
    expect(r.failure).toMatchObject({ isRpcError: true, name: 'RangeError', message: 'cannot divide 1 by 0' })
    expect(r.stream).toMatchObject({ isRpcError: true, code: 'NOT_A_STREAM' })
  })

  it('rejects a call in flight when the host exits, with the browser own message where it gives one', async () => {
    const { failure } = await session.browser.run<{ failure: ErrorReport }>('rpcHostExits', hostName)
    expect(failure).toMatchObject({ isRpcError: true, code: 'DISCONNECTED' })
    expect(failure.message).toContain(hostExitedText[name])
    expect(failure.message).toContain(hostName)
  })

  it('rejects with HOST_NOT_FOUND naming a host that is not registered', async () => {
    const { failure } = await session.browser.run<{ failure: ErrorReport }>('rpcMissing', missingHost)
    expect(failure).toMatchObject({ isRpcError: true, code: 'HOST_NOT_FOUND' })
    expect(failure.message).toContain(missingHost)
    expect(failure.message).toMatch(
      name === 'chromium' ? /Specified native messaging host not found/ : /No such native application/,
    )
  })
})

describeEachBrowser('a host manifest that does not allow the extension, in %s', (name) => {
  let session: E2eSession

  beforeAll(async () => {
    session = await openBrowser(name, { hosts: [] })
    // Browsers read host manifests at each connectNative, so one written after launch counts.
    const allowed =
      name === 'chromium'
        ? { allowed_origins: ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'] }
        : { allowed_extensions: ['someone-else@nmrpc.test'] }
    const manifest = {
      name: deniedHost,
      description: 'not for us',
      path: '/bin/true',
      type: 'stdio',
      ...allowed,
    }
    writeFileSync(join(session.hostManifestDir, `${deniedHost}.json`), JSON.stringify(manifest))
  })
  afterAll(async () => {
    await session?.close()
  })

  // Chromium says so (FORBIDDEN); Firefox 153 answers as if the host did not exist.
  it(name === 'chromium' ? 'rejects with FORBIDDEN' : 'rejects with HOST_NOT_FOUND', async () => {
    const { failure } = await session.browser.run<{ failure: ErrorReport }>('rpcMissing', deniedHost)
    expect(failure).toMatchObject({
      isRpcError: true,
      code: name === 'chromium' ? 'FORBIDDEN' : 'HOST_NOT_FOUND',
    })
    expect(failure.message).toContain(deniedHost)
    expect(failure.message).toContain(
      name === 'chromium'
        ? 'Access to the specified native messaging host is forbidden.'
        : `No such native application ${deniedHost}`,
    )
  })
})
