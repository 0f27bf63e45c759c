// App mode's two data paths over real processes: on Linux, a relay whose stdin/stdout are FIFOs (as a
// browser gives them) hands them to the app and leaves the data path; a socketpair, or the opt-outs, keep
// the relay copying. Both paths carry the same session, and neither leaves a descriptor behind.
import { afterEach, describe, expect, it } from 'vitest'
import type { SpawnHostOptions } from '../../src/node/index.js'
import { appWorld } from './appHelpers.js'
import { eventually } from './helpers.js'

let world: ReturnType<typeof appWorld>
afterEach(() => world?.dispose())

const linux = process.platform === 'linux'

/** Polls an async condition (a call to the app) until it holds, for up to 20 s. */
async function eventuallyAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const paths: Array<{
  name: string
  spawn: SpawnHostOptions
  app: NodeJS.ProcessEnv
  expected: 'handoff' | 'relay-copy'
}> = [
  { name: 'FIFO pipes', spawn: { pipes: 'fifo' }, app: {}, expected: linux ? 'handoff' : 'relay-copy' },
  { name: 'a socketpair', spawn: { pipes: 'socketpair' }, app: {}, expected: 'relay-copy' },
  {
    name: 'serve({ handoff: false })',
    spawn: { pipes: 'fifo' },
    app: { NMRPC_APP_HANDOFF: '0' },
    expected: 'relay-copy',
  },
  {
    name: 'NMRPC_RELAY_COPY=1 for the relay',
    spawn: { pipes: 'fifo', env: { ...process.env, NMRPC_RELAY_COPY: '1' } },
    app: {},
    expected: 'relay-copy',
  },
]

describe.each(paths)('app mode over $name', ({ spawn, app: appEnv, expected }) => {
  it(`takes the ${expected} path and carries calls, a stream and a 50 MiB upload`, async () => {
    world = appWorld()
    await world.startApp(appEnv)
    const { client } = world.relayClient({
      ...spawn,
      env: { ...world.env, ...spawn.env, XDG_RUNTIME_DIR: world.xdg },
    })
    expect(await client.call.transport()).toBe(expected)
    expect(await client.call.ping()).toBe('pong')
    let n = 0
    for await (const item of client.call.count(500, 1_000)) if (item.i === n && item.pad.length === 1_000) n++
    expect(n).toBe(500)
    const big = new Uint8Array(50 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    expect(await client.with({ timeout: 120_000 }).call.upload(big)).toEqual({ bytes: big.length, ok: true })
  }, 180_000)
})

describe.runIf(linux)('handoff lifetimes', () => {
  it('a killed relay: the app frees the connection and its descriptors, the browser side sees EOF', async () => {
    world = appWorld()
    await world.startApp()
    const watcher = world.relayClient({ pipes: 'socketpair' }).client
    const before = await watcher.call.fds()
    const { client, ports } = world.relayClient()
    expect(await client.call.transport()).toBe('handoff')
    const running = client.call.slow(60_000).catch((e: unknown) => e)
    await eventually(() => world.marks().includes('slow start'), 'the slow call to start')
    expect((await watcher.call.connections()).length).toBe(2)
    ports[0]!.child.kill('SIGKILL')
    // The browser's end: the pipe reaches EOF only once the app has closed its write end too.
    expect(await running).toMatchObject({ code: 'DISCONNECTED' })
    await eventuallyAsync(async () => (await watcher.call.connections()).length === 1, 'the app to drop it')
    await eventually(() => world.marks().includes('slow finally aborted=true'), 'the handler to be aborted')
    await eventuallyAsync(async () => (await watcher.call.fds()) === before, 'the app to close the pipes')
  }, 60_000)

  it('the browser closing its Port ends the session; the relay exits 0; no descriptor stays', async () => {
    world = appWorld()
    await world.startApp()
    const watcher = world.relayClient({ pipes: 'socketpair' }).client
    const before = await watcher.call.fds()
    for (let i = 0; i < 3; i++) {
      const { client, ports } = world.relayClient()
      expect(await client.call.transport()).toBe('handoff')
      client.close()
      await eventually(() => ports[0]!.child.exitCode !== null, 'the relay to exit')
      expect(ports[0]!.child.exitCode).toBe(0)
    }
    await eventuallyAsync(async () => (await watcher.call.connections()).length === 1, 'the app to drop them')
    await eventuallyAsync(async () => (await watcher.call.fds()) === before, 'no descriptor left')
  }, 60_000)

  it('the app killed mid-call: DISCONNECTED with the relay reason, then APP_NOT_RUNNING', async () => {
    world = appWorld()
    const app = await world.startApp()
    const { client } = world.relayClient()
    expect(await client.call.transport()).toBe('handoff')
    const running = client.call.slow(60_000).catch((e: unknown) => e)
    await eventually(() => world.marks().includes('slow start'), 'the slow call to start')
    app.child.kill('SIGKILL')
    expect(await running).toMatchObject({
      code: 'DISCONNECTED',
      message: expect.stringMatching(new RegExp(`nmrpc relay: app .* went away \\(${world.endpoint}\\)`)),
    })
    await expect(client.call.ping()).rejects.toMatchObject({ code: 'APP_NOT_RUNNING' })
  }, 60_000)
})
