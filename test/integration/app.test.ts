// App mode over real processes: a long-running app (host.serve) and clients reaching it through real
// `nmrpc relay` processes, started the way a browser starts a host.
import { lstatSync } from 'node:fs'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { APP_FIXTURE, APP_NAME, appWorld, origin } from './appHelpers.js'
import { eventually, isAlive } from './helpers.js'

let world: ReturnType<typeof appWorld>
afterEach(() => world?.dispose())

describe('an app serving several relays at once', () => {
  it('gives each connection its own caller, and refuses a caller not allowed alone', async () => {
    world = appWorld()
    const app = await world.startApp({ NMRPC_ALLOWED: `${'b'.repeat(32)},${origin('c')},ff@example.org` })
    expect(app.line).toBe(`ready ${world.endpoint}`)
    const b = world.relayClient({ origin: origin('b') }).client
    const c = world.relayClient({ origin: origin('c') }).client
    const f = world.relayClient({ browser: 'firefox', extensionId: 'ff@example.org' }).client
    const refused = world.relayClient({ origin: origin('d') }).client

    const [rb, rc, rf] = await Promise.all([b.call.caller(), c.call.caller(), f.call.caller()])
    expect(rb.caller).toMatchObject({ browser: 'chromium', origin: origin('b'), extensionId: 'b'.repeat(32) })
    expect(rc.caller).toMatchObject({ browser: 'chromium', origin: origin('c') })
    expect(rf.caller).toMatchObject({ browser: 'firefox', extensionId: 'ff@example.org' })
    expect(new Set([rb.connection, rc.connection, rf.connection]).size).toBe(3)
    expect((await b.call.connections()).map((x) => x.caller).sort()).toEqual(
      ['b'.repeat(32), 'c'.repeat(32), 'ff@example.org'].sort(),
    )

    const err = await refused.call.ping().catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining(
        `does not accept calls from ${origin('d')}: it is not in allowedCallers`,
      ),
    })
    // The refusal touched no one else.
    expect(await Promise.all([b.call.ping(), c.call.ping(), f.call.ping()])).toEqual(['pong', 'pong', 'pong'])
    expect(await b.call.connections()).toHaveLength(3)
    expect(app.stderr()).toContain(`does not accept calls from ${origin('d')}`)
  })

  it('app.emit reaches every connection, or only the one chosen', async () => {
    world = appWorld()
    await world.startApp()
    const clients = ['e', 'f', 'g'].map((l) => world.relayClient({ origin: origin(l) }).client)
    const got: number[][] = [[], [], []]
    for (const [i, cl] of clients.entries()) cl.on('tick', (d) => got[i]!.push(d.n))
    await Promise.all(clients.map((cl) => cl.call.ping()))
    expect(await clients[0]!.call.broadcast(7)).toBe(3)
    await eventually(() => got.every((g) => g.includes(7)), 'all three to get tick 7')
    await clients[1]!.call.broadcast(8, true)
    await clients[2]!.call.broadcast(9)
    // Events on one connection keep their order, so whoever has 9 would have had 8 first.
    await eventually(() => got.every((g) => g.includes(9)), 'all three to get tick 9')
    expect(got).toEqual([
      [7, 9],
      [7, 8, 9],
      [7, 9],
    ])
  })
})

describe('data through a relay', () => {
  it('carries a stream and a 50 MiB upload unchanged', async () => {
    world = appWorld()
    await world.startApp()
    const { client } = world.relayClient()
    let n = 0
    let inOrder = true
    for await (const item of client.call.count(2_000, 1_000)) {
      if (item.i !== n || item.pad.length !== 1_000) inOrder = false
      n++
    }
    expect({ n, inOrder }).toEqual({ n: 2_000, inOrder: true })
    const big = new Uint8Array(50 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    expect(await client.with({ timeout: 120_000 }).call.upload(big)).toEqual({ bytes: big.length, ok: true })
  })
})

describe('the app going away and coming back', () => {
  it('DISCONNECTED with the relay reason, then APP_NOT_RUNNING until the app is back, then it works', async () => {
    world = appWorld()
    const first = await world.startApp()
    const clients = ['h', 'i', 'j'].map((l) => world.relayClient({ origin: origin(l) }).client)
    await Promise.all(clients.map((cl) => cl.call.ping()))
    const running = clients.map((cl) => cl.call.slow(60_000).catch((e: unknown) => e))
    // The calls must be running in the app before it dies: its handler marks them.
    await eventually(
      () => world.marks().filter((m) => m.startsWith('slow start')).length === 3,
      'three slow calls to start',
    )
    first.child.kill('SIGKILL')
    for (const e of await Promise.all(running)) {
      expect(e).toMatchObject({
        code: 'DISCONNECTED',
        message: expect.stringMatching(new RegExp(`nmrpc relay: .*app "${APP_NAME}".*${world.endpoint}`)),
      })
    }
    // The killed app left its socket behind: the relay tells a stale socket from a live app.
    expect(lstatSync(world.endpoint).isSocket()).toBe(true)
    for (const cl of clients) {
      const e = await cl.call.ping().catch((x: unknown) => x)
      expect(e).toMatchObject({
        code: 'APP_NOT_RUNNING',
        message: `Call to "ping" refused: app "${APP_NAME}" is not running: nothing listens at ${world.endpoint} (a stale socket: its app is gone)`,
      })
    }
    const second = await world.startApp()
    expect(second.line).toBe(`ready ${world.endpoint}`)
    expect(second.stderr()).toContain(`replacing the stale socket ${world.endpoint}`)
    expect(await Promise.all(clients.map((cl) => cl.call.ping()))).toEqual(['pong', 'pong', 'pong'])
    expect(await clients[0]!.call.pid()).toBe(second.child.pid)
  })

  it('APP_NOT_RUNNING names the app and the endpoint when no app ever ran', async () => {
    world = appWorld()
    const { client } = world.relayClient()
    await expect(client.call.ping()).rejects.toMatchObject({
      code: 'APP_NOT_RUNNING',
      message: `Call to "ping" refused: app "${APP_NAME}" is not running: nothing listens at ${world.endpoint} (no such folder)`,
    })
  })

  it('--launch starts the app on the first call, and the app keeps running after the client leaves', async () => {
    world = appWorld()
    // A shell command, as a user would write it; the app starts in the home folder, so it moves first.
    const cmd = `cd ${JSON.stringify(process.cwd())} && ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(APP_FIXTURE)}`
    const { client, ports } = world.relayClient({ cwd: process.cwd() }, ['--launch', cmd])
    const pid = await client.with({ timeout: 30_000 }).call.pid()
    expect(pid).not.toBe(ports[0]!.child.pid)
    client.close()
    await eventually(() => ports[0]!.child.exitCode !== null, 'the relay to exit')
    expect(isAlive(pid)).toBe(true)
    const again = world.relayClient().client
    expect(await again.call.pid()).toBe(pid)
    process.kill(pid, 'SIGKILL')
  })
})

describe('one app per endpoint', () => {
  it('a second instance gets a clear error and the first serves on', async () => {
    world = appWorld()
    const first = await world.startApp()
    const second = await world.startApp()
    expect(second.line).toBe(
      `failed App "${APP_NAME}" is already running: another process serves ${world.endpoint}. Stop it first, ` +
        `or pass serve({ name: '${APP_NAME}', takeover: true }) to take new connections over from it`,
    )
    expect(await world.relayClient().client.call.pid()).toBe(first.child.pid)
  })

  it('takeover: new relays reach the new instance; the old one closing leaves the new socket alone', async () => {
    world = appWorld()
    const first = await world.startApp()
    const old = world.relayClient().client
    expect(await old.call.pid()).toBe(first.child.pid)
    const second = await world.startApp({ NMRPC_TAKEOVER: '1' })
    expect(second.line).toBe(`ready ${world.endpoint}`)
    expect(await world.relayClient().client.call.pid()).toBe(second.child.pid)
    // The old connection is still served by the old instance.
    expect(await old.call.pid()).toBe(first.child.pid)
    first.child.kill('SIGTERM')
    await eventually(() => first.child.exitCode !== null, 'the first app to exit')
    expect(lstatSync(world.endpoint).isSocket()).toBe(true)
    expect(await world.relayClient().client.call.pid()).toBe(second.child.pid)
  })
})

describe('connections that are not relays', () => {
  it('are dropped with a line in the log, and the app serves on', async () => {
    world = appWorld()
    const app = await world.startApp({ NMRPC_HANDSHAKE_TIMEOUT: '500' })
    const garbage = connect(world.endpoint)
    garbage.on('error', () => {})
    garbage.write(Buffer.from([5, 0, 0, 0, 104, 101, 108, 108, 111]))
    const silent = connect(world.endpoint)
    silent.on('error', () => {})
    await eventually(
      () => app.stderr().includes('no relay handshake within 500 ms'),
      'the silent one to be dropped',
    )
    expect(app.stderr()).toContain(
      `app "${APP_NAME}" dropped a connection on ${world.endpoint}: the first message is not JSON`,
    )
    expect(await world.relayClient().client.call.ping()).toBe('pong')
    garbage.destroy()
    silent.destroy()
  })
})

describe('who can reach the endpoint', () => {
  it('the folder is 0700 and the socket 0600, both owned by this user', async () => {
    world = appWorld()
    await world.startApp()
    const dir = lstatSync(`${world.xdg}/nmrpc`)
    const sock = lstatSync(world.endpoint)
    expect(dir.mode & 0o777).toBe(0o700)
    expect(sock.mode & 0o777).toBe(0o600)
    expect(dir.uid).toBe(process.getuid!())
    expect(sock.uid).toBe(process.getuid!())
  })
})
