// Issue 15 over real processes: one ledger of bytes held per session, a deadline for every wait, explicit
// call states, and a refused caller that gets nothing processed. The host side is attacked with raw frames
// (rawHost.ts); the client side by a hand-written hostile host (fixtures/stallHost.ts). Assertions are on
// the errors and the ledger's counters; RSS is printed, never asserted.
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client/index.js'
import { spawnHost } from '../../src/node/index.js'
import { DEFAULT_MAX_HELD_BYTES, MAX_OPEN_MESSAGES } from '../../src/shared/limits.js'
import { type RawHost, startRawHost, until } from './rawHost.js'

const MiB = 1024 * 1024
const hello = { t: 'hello', v: 1, impl: 'faults/test' }
const STALL_HOST = fileURLToPath(new URL('./fixtures/stallHost.ts', import.meta.url))

interface Held {
  partial: number
  binary: number
  queued: number
  buffered: number
  unsent: number
  total: number
  peak: number
  budget: number
}

let nextId = 5000
const newId = () => nextId++
let host: RawHost | undefined

afterEach(async () => {
  await host?.dispose()
  host = undefined
})

async function start(env: NodeJS.ProcessEnv): Promise<RawHost> {
  const h = startRawHost({ env })
  h.send(hello)
  await h.reply((e) => e.t === 'hello', 'the hello')
  return h
}

async function call(h: RawHost, p: string, a: unknown[] = []) {
  const id = newId()
  h.send({ t: 'call', id, p, a })
  return h.reply((e) => e.id === id && (e.t === 'ok' || e.t === 'err'), `a reply to ${p}`)
}

const held = async (h: RawHost) => (await call(h, 'held')).r as Held
const rss = async (h: RawHost) => ((await call(h, 'mem')).r as { rss: number }).rss

function printRss(what: string, bytes: number) {
  console.log(`budget test: ${what}: host RSS ${(bytes / MiB).toFixed(0)} MiB`)
}

describe('the host holds at most its budget for a hostile extension', () => {
  it('a flood of partial chunked calls: past the open-message cap each call fails LIMIT_EXCEEDED; all is freed', async () => {
    host = await start({})
    const ids = Array.from({ length: MAX_OPEN_MESSAGES + 40 }, newId)
    // Empty pieces are not free: each open message and piece is charged.
    for (const [k, id] of ids.entries()) host.send({ t: 'chunk', k: k + 1, of: 'call', id, d: '' })
    const refused = await host.reply(
      (e) => e.id === ids.at(-1) && e.t === 'err',
      'the refusal of the last open message',
    )
    expect(refused.e).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    const during = await held(host)
    expect(during.partial).toBeGreaterThan(0)
    expect(during.total).toBeLessThanOrEqual(DEFAULT_MAX_HELD_BYTES)
    // The peer's cancel of those calls frees their partial messages (envelopes are handled in order).
    for (const id of ids) host.send({ t: 'cancel', id, why: 'test' })
    expect((await held(host)).partial).toBe(0)
    printRss('after 296 open partial messages', await rss(host))
  })

  it('a flood of string parts (partial or finished, never claimed) past the open cap fails each call LIMIT_EXCEEDED; all is freed', async () => {
    host = await start({})
    const ids = Array.from({ length: MAX_OPEN_MESSAGES + 40 }, newId)
    // Half are finished parts whose call envelope never comes: held, charged and counted as open too.
    for (const [k, id] of ids.entries())
      host.send({ t: 'str', k: k + 1, of: 'call', id, d: '', ...(k % 2 === 0 ? { end: 1 } : {}) })
    const refused = await host.reply(
      (e) => e.id === ids.at(-1) && e.t === 'err',
      'the refusal of the last open string part',
    )
    expect(refused.e).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    const during = await held(host)
    expect(during.partial).toBeGreaterThan(0)
    for (const id of ids) host.send({ t: 'cancel', id, why: 'test' })
    expect((await held(host)).partial).toBe(0)
    printRss('after 296 open string parts', await rss(host))
  })

  it('partial pieces past the budget fail their call with LIMIT_EXCEEDED and free what they held', async () => {
    host = await start({ NMRPC_MAX_HELD: String(8 * MiB) })
    const id = newId()
    const piece = 'x'.repeat(MiB)
    for (let i = 0; i < 12; i++) host.send({ t: 'chunk', k: 1, of: 'call', id, d: piece })
    const err = await host.reply((e) => e.id === id && e.t === 'err', 'the refusal')
    expect(err.e).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/maxHeldBytes/) })
    const after = await held(host)
    expect(after.partial).toBe(0)
    expect(after.peak).toBeLessThanOrEqual(8 * MiB)
    printRss('after 12 MiB of pieces against an 8 MiB budget', await rss(host))
  })

  it('chunks tied to no call past the budget close the session with one clear line', async () => {
    host = await start({ NMRPC_MAX_HELD: String(4 * MiB) })
    const piece = 'x'.repeat(MiB)
    for (let i = 0; i < 6; i++) host.send({ t: 'chunk', k: 9, of: 'event', d: piece })
    await host.exited
    const lines = host.stderr.split('\n').filter((l) => l.includes('closing the connection'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/maxHeldBytes/)
  })

  it('an envelope announcing more binary parts than the budget holds fails LIMIT_EXCEEDED', async () => {
    host = await start({ NMRPC_MAX_HELD: String(8 * MiB) })
    const id = newId()
    host.send({ t: 'call', id, p: 'echo', a: [null], b: [100 * MiB] })
    const err = await host.reply((e) => e.id === id && e.t === 'err', 'the refusal')
    expect(err.e).toMatchObject({ code: 'LIMIT_EXCEEDED' })
    expect((await held(host)).binary).toBe(0)
  })

  it('calls queued for a handler slot count by bytes: past the budget they fail LIMIT_EXCEEDED', async () => {
    host = await start({ NMRPC_MAX_HELD: String(2 * MiB), NMRPC_MAX_CONCURRENT: '1' })
    const busy = newId()
    host.send({ t: 'call', id: busy, p: 'busy', a: [3_000] })
    const ids = Array.from({ length: 8 }, newId)
    for (const id of ids) host.send({ t: 'call', id, p: 'echo', a: ['q'.repeat(400 * 1024)] })
    const replies = await Promise.all(
      ids.map((id) => host!.reply((e) => e.id === id && (e.t === 'ok' || e.t === 'err'), `reply ${id}`)),
    )
    const refused = replies.filter((r) => r.t === 'err')
    expect(refused.length).toBeGreaterThan(0)
    expect(replies.some((r) => r.t === 'ok')).toBe(true)
    for (const r of refused)
      expect(r.e).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/maxHeldBytes/) })
    expect((await held(host)).queued).toBe(0)
  })

  it('argument stream items the handler has not read count: past the budget the stream is cancelled', async () => {
    host = await start({ NMRPC_MAX_HELD: String(4 * MiB) })
    const id = newId()
    host.send({ t: 'call', id, p: 'hang', a: ['tag', null], st: [1] })
    await host.reply((e) => e.id === id && e.t === 'credit', 'the credit for the argument')
    for (let i = 0; i < 16; i++) host.send({ t: 'next', id, s: 1, r: 'y'.repeat(512 * 1024) })
    const cancel = await host.reply((e) => e.id === id && e.t === 'cancel', 'the cancel of the argument')
    expect(cancel).toMatchObject({ s: 1, why: 'too much buffered' })
    const h = await held(host)
    expect(h.buffered).toBe(0)
    expect(h.peak).toBeLessThanOrEqual(4 * MiB)
  })
})

describe('an envelope that makes no sense in the call state fails that call with PROTOCOL_ERROR', () => {
  it('credit for a unary call, and an item for an argument the call does not stream', async () => {
    host = await start({})
    for (const wrong of [
      (id: number) => ({ t: 'credit', id, n: 4 }),
      (id: number) => ({ t: 'next', id, s: 0, r: 1 }),
      (id: number) => ({ t: 'end', id, s: 3 }),
    ]) {
      const id = newId()
      host.send({ t: 'call', id, p: 'hang', a: [`w${id}`] })
      await until(() => host!.marks().includes(`hang started w${id}`), 'the handler to start')
      host.send(wrong(id))
      const err = await host.reply((e) => e.id === id && e.t === 'err', 'the PROTOCOL_ERROR')
      expect(err.e).toMatchObject({ code: 'PROTOCOL_ERROR' })
      await until(() => host!.marks().some((m) => m.startsWith(`hang aborted w${id}`)), 'the handler signal')
    }
  })
})

describe('a caller refused by allowedCallers gets nothing processed', () => {
  it('no event reaches onEvent, no chunk or binary part is stored, calls get UNAUTHORIZED', async () => {
    host = await start({ NMRPC_ALLOWED: 'someone-else@example' })
    for (let i = 0; i < 1000; i++) host.send({ t: 'event', name: 'e', d: i })
    host.send({ t: 'chunk', k: 1, of: 'event', d: 'z'.repeat(MiB) })
    host.send({ t: 'bin', of: 'call', id: 1, i: 0, d: 'AAAA' })
    const id = newId()
    host.send({ t: 'call', id, p: 'ping', a: [] })
    const err = await host.reply((e) => e.id === id && e.t === 'err', 'the refusal')
    expect(err.e).toMatchObject({ code: 'UNAUTHORIZED' })
    await host.exited
    expect(host.marks().filter((m) => m.startsWith('event'))).toEqual([])
  })
})

describe('the client: deadlines, states and budgets against a hostile host', () => {
  type Stall = {
    stallBin(): Promise<unknown>
    stallChunk(): Promise<unknown>
    stallStr(): Promise<unknown>
    stallAfterStr(): Promise<unknown>
    okAfterNext(): AsyncIterable<number>
    creditUnary(s: AsyncIterable<number>): Promise<unknown>
    flood(): AsyncIterable<string>
    ping(): Promise<string>
    crash(): Promise<void>
    exit127(): Promise<void>
  }
  const open = (options: Parameters<typeof createClient>[1] = {}) =>
    createClient<Stall>(spawnHost('node', ['--import', 'tsx', STALL_HOST], { stderr: 'pipe' }), options)
  let client: ReturnType<typeof open> | undefined
  afterEach(() => client?.close())

  it('a reply whose binary parts or chunks stop coming fails with TIMEOUT', async () => {
    client = open({ timeout: 1_500 })
    await client.connect() // the host's start-up is not part of the deadline under test
    await expect(client.call.stallBin()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/started to arrive/),
    })
    await expect(client.call.stallChunk()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/started to arrive/),
    })
    // String parts re-arm the same timer: a part cut off, or a whole part whose envelope never comes.
    await expect(client.call.stallStr()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/started to arrive/),
    })
    await expect(client.call.stallAfterStr()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/started to arrive/),
    })
  })

  it('ok after next fails the stream, credit for a plain argument fails the call: PROTOCOL_ERROR', async () => {
    client = open()
    const it = client.call.okAfterNext()[Symbol.asyncIterator]()
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) {}
      })(),
    ).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' })
    await expect(client.call.creditUnary(null as never)).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' })
  })

  it('unread stream items past the budget fail the stream with LIMIT_EXCEEDED', async () => {
    client = open({ maxHeldBytes: 4 * MiB })
    const it = client.with({ window: 64 }).call.flood()[Symbol.asyncIterator]()
    await it.next()
    expect(await client.call.ping()).toBe('pong') // every item was delivered before this reply
    let got = 0
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) got++
      })(),
    ).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/maxHeldBytes/) })
    expect(got).toBeLessThan(63)
  })

  it('a host that crashed saying "not found" is DISCONNECTED; exit 127 says to run nmrpc install', async () => {
    client = open()
    const crash = await client.call.crash().catch((e: unknown) => e)
    expect(crash).toMatchObject({ code: 'DISCONNECTED' })
    client.close()
    client = open()
    await expect(client.call.exit127()).rejects.toMatchObject({
      code: 'DISCONNECTED',
      message: expect.stringMatching(/exit code 127.*`nmrpc install` again/s),
    })
  })
})
