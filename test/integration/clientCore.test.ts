import { afterEach, describe, expect, it } from 'vitest'
import { createClient, jsonCodec, oneShotMode, RpcError, superjsonCodec } from '../../src/client/core.js'
import { spawnHost } from '../../src/node/index.js'
import type { Host } from '../fixtures/host.js'
import { FIXTURE_HOST } from './helpers.js'

// nmrpc/client/core: the same client without trace, handlers or a default codec, and with one-shot mode
// only through oneShotMode(), over a real child process (the fixture host runs the default superjson codec; plain JSON reads the same in both).
const host = () => spawnHost('node', ['--import', 'tsx', FIXTURE_HOST], { stderr: 'pipe' })
let close: (() => void) | undefined
afterEach(() => close?.())

describe('createClient from nmrpc/client/core', () => {
  it('calls and streams with jsonCodec()', async () => {
    const client = createClient<Host>(host(), { codec: jsonCodec() })
    close = () => client.close()
    expect(await client.call.add(1, 2)).toBe(3)
    const items: number[] = []
    for await (const i of client.call.count(3)) items.push(i)
    expect(items).toEqual([0, 1, 2])
    await expect(client.call.math.div(1, 0)).rejects.toBeInstanceOf(RpcError)
  }, 30_000)

  it('carries a Date when given superjsonCodec()', async () => {
    const client = createClient<Host>(host(), { codec: superjsonCodec() })
    close = () => client.close()
    const when = await client.call.when()
    expect(when).toBeInstanceOf(Date)
    expect(when.getTime()).toBe(0)
  }, 30_000)

  it('runs one-shot calls given mode: oneShotMode(): one host process per call', async () => {
    let spawned = 0
    const spawn = host()
    const factory = Object.assign(
      () => {
        spawned++
        return spawn()
      },
      { hostName: 'fixture' },
    )
    const client = createClient<Host>(factory, { codec: jsonCodec(), mode: oneShotMode() })
    close = () => client.close()
    expect(await client.call.add(2, 3)).toBe(5)
    expect(await client.call.add(4, 5)).toBe(9)
    expect(spawned).toBe(2)
    await expect(client.connect()).rejects.toThrow("connect() needs mode 'port'")
  }, 30_000)

  it('says where the options it leaves out are', () => {
    const full = "use createClient from 'nmrpc/client', which has it"
    const opts = (o: object) => o as Parameters<typeof createClient>[1]
    expect(() => createClient('com.acme.app', opts({}))).toThrow(
      `createClient from 'nmrpc/client/core' needs a codec (for "com.acme.app"): pass { codec: jsonCodec() } or { codec: superjsonCodec() }, or ${full} by default`,
    )
    expect(() => createClient('com.acme.app', opts({ codec: jsonCodec(), mode: 'oneshot' }))).toThrow(
      `mode 'oneshot' is not in 'nmrpc/client/core': pass mode: oneShotMode() (from 'nmrpc/client/core'), or ${full}`,
    )
    expect(() => createClient('com.acme.app', opts({ codec: jsonCodec(), trace: true }))).toThrow(
      `the trace option is not in 'nmrpc/client/core'; ${full}`,
    )
    expect(() => createClient('com.acme.app', opts({ codec: jsonCodec(), handlers: {} }))).toThrow(
      `the handlers option is not in 'nmrpc/client/core'; ${full}`,
    )
    expect(() => createClient(42 as unknown as string, { codec: jsonCodec() })).toThrow(
      'createClient needs a host name (like "com.acme.app") or a function returning a Port, got number',
    )
  })
})
