import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { callCommand } from '../../src/cli/callCommand.js'
import { type ClientOptions, createClient, RpcError } from '../../src/client/index.js'
import { type ChildPort, type SpawnHostOptions, spawnHost } from '../../src/node/index.js'
import type { Host } from '../fixtures/middlewareHost.js'

const HOST = fileURLToPath(new URL('../fixtures/middlewareHost.ts', import.meta.url))
const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function start(options: { spawn?: SpawnHostOptions; env?: NodeJS.ProcessEnv; client?: ClientOptions } = {}) {
  const ports: ChildPort[] = []
  const factory = spawnHost('node', ['--import', 'tsx', HOST], {
    stderr: 'pipe',
    browser: 'firefox',
    extensionId: 'plain@example.org',
    ...options.spawn,
    env: { ...process.env, ...options.env },
  })
  const client = createClient<Host>(
    Object.assign(
      () => {
        const port = factory() as ChildPort
        ports.push(port)
        return port
      },
      { hostName: factory.hostName },
    ),
    options.client,
  )
  cleanups.push(() => client.close())
  return { client, ports }
}

describe('host middleware (over a real child process)', () => {
  it('runs around every call and adds typed fields the handler sees', async () => {
    const { client } = start()
    expect(await client.call.whoami()).toBe('user-of-plain@example.org')
    expect(await client.call.add(2, 3)).toBe(5)
    expect(await client.call.seen()).toEqual(['whoami([])', 'add([2,3])'])
  })

  it('refuses per method: what middleware throws crosses like a handler error', async () => {
    const { client } = start()
    await expect(client.call.admin.wipe()).rejects.toThrow(
      new RpcError('FORBIDDEN', 'admin.wipe is for the admin extension only'),
    )
    await expect(client.call.admin.wipe()).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const admin = start({ spawn: { extensionId: 'admin' } })
    expect(await admin.client.call.admin.wipe()).toBe('wiped')
  })

  it('a middleware error that is not an RpcError keeps its name and message', async () => {
    const { client } = start()
    await expect(client.call.boom()).rejects.toMatchObject({
      name: 'TypeError',
      message: 'middleware exploded',
      code: 'HANDLER_ERROR',
    })
  })

  it('may answer without calling the handler', async () => {
    const { client } = start()
    expect(await client.call.cached()).toBe('from the middleware')
  })

  it('wraps the start of a stream: items still flow', async () => {
    const { client } = start()
    const items: number[] = []
    for await (const i of client.call.count(3)) items.push(i)
    expect(items).toEqual([0, 1, 2])
  })

  it('cannot skip the budgets: a call over maxQueuedCalls is refused before middleware runs', async () => {
    const { client } = start({ env: { NMRPC_MAX_CONCURRENT: '1', NMRPC_MAX_QUEUED: '0' } })
    const first = client.call.slow(5_000)
    await expect(client.with({ timeout: 30_000 }).call.add(1, 1)).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    })
    await client.close()
    await expect(first).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('the handler signal still fires through middleware', async () => {
    const { client } = start()
    await expect(client.with({ timeout: 300 }).call.slow(60_000)).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    expect(await client.call.add(1, 1)).toBe(2)
  })
})

describe('trace (NMRPC_TRACE=1 on the host, trace on the client)', () => {
  it('prints one line per envelope with kind, id, method, size, time and outcome', async () => {
    const lines: string[] = []
    const { client, ports } = start({ env: { NMRPC_TRACE: '1' }, client: { trace: (l) => lines.push(l) } })
    expect(await client.call.add(1, 2)).toBe(3)
    const items: number[] = []
    for await (const i of client.call.count(2)) items.push(i)
    await expect(client.call.admin.wipe()).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const text = lines.join('\n')
    expect(text).toMatch(/-> hello \d+ B/)
    expect(text).toMatch(/-> call #1 add \d+ B \+\d+\.\d ms/)
    expect(text).toMatch(/<- ok #1 add \d+ B \+\d+\.\d ms ok/)
    expect(text).toMatch(/<- next #2 count \d+ B/)
    expect(text).toMatch(/<- end #2 count \d+ B \+\d+\.\d ms end/)
    expect(text).toMatch(/<- err #3 admin\.wipe \d+ B \+\d+\.\d ms error FORBIDDEN/)
    // The host traces to its stderr, from its own side: calls come in, replies go out.
    const port = ports[0]!
    await expect
      .poll(() => port.stderr, { timeout: 10_000 })
      .toMatch(
        /nmrpc trace host "middlewareHost\.ts" -> err #3 admin\.wipe \d+ B \+\d+\.\d ms error FORBIDDEN/,
      )
    expect(port.stderr).toMatch(/<- call #1 add \d+ B/)
    expect(port.stderr).toMatch(/-> ok #1 add \d+ B \+\d+\.\d ms ok/)
  })

  it('is off by default: the host writes no trace lines', async () => {
    const { client, ports } = start()
    expect(await client.call.add(1, 2)).toBe(3)
    expect(ports[0]!.stderr).not.toMatch(/nmrpc trace/)
  })
})

describe('nmrpc call --trace', () => {
  it('prints the trace lines on stderr and the result on stdout', async () => {
    let out = ''
    let err = ''
    const io = {
      out: (t: string) => {
        out += t
      },
      err: (t: string) => {
        err += t
      },
    }
    const code = await callCommand([`node --import tsx ${HOST}`, 'add', '1', '2', '--trace'], io)
    expect({ code, out }).toEqual({ code: 0, out: '3\n' })
    expect(err).toMatch(/^nmrpc trace client -> hello \d+ B$/m)
    expect(err).toMatch(/^nmrpc trace client -> call #1 add \d+ B \+\d+\.\d ms$/m)
    expect(err).toMatch(/^nmrpc trace client <- ok #1 add \d+ B \+\d+\.\d ms ok$/m)
  })
})
