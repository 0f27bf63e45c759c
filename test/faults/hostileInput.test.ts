// Hostile bytes written straight to a real host process, with framing written independently of nmrpc's
// (rawFrames.ts). The host keeps running (or, where the byte stream is beyond repair, closes with one
// clear stderr line), answers PROTOCOL_ERROR where a bad call had an id, and a well-formed call afterwards
// still works.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOG_BURST } from '../../src/shared/limits.js'
import { frame, jsonFrame, lengthHeader } from './rawFrames.js'
import { crashLines, exitWithin, type RawHost, startRawHost, until } from './rawHost.js'

const MiB = 1024 * 1024
/** Bad envelopes in the flood test: far more lines than a session prints at once. */
const BAD = 20_000
const hello = { t: 'hello', v: 1, impl: 'faults/test' }

/** Ids this side uses: each probe gets a fresh one so replies cannot be confused. */
let nextId = 1000
const newId = () => nextId++

/** A well-formed call answered correctly: the host is alive and its session intact. */
async function expectAlive(host: RawHost) {
  const id = newId()
  host.send({ t: 'call', id, p: 'ping', a: [] })
  const reply = await host.reply((e) => e.id === id, `the answer to ping (id ${id})`)
  expect(reply).toEqual({ t: 'ok', id, r: 'pong' })
}

/** Sends a call and returns its reply. */
async function callRaw(host: RawHost, body: Record<string, unknown>) {
  const id = newId()
  host.send({ t: 'call', id, ...body })
  return host.reply((e) => e.id === id && (e.t === 'ok' || e.t === 'err'), `a reply to id ${id}`)
}

/** The reply to a raw frame that carries call id `id`. */
async function replyTo(host: RawHost, bytes: Buffer, id: number) {
  host.write(bytes)
  return host.reply((e) => e.id === id && (e.t === 'ok' || e.t === 'err'), `a reply to id ${id}`)
}

/** `[[[...]]]` `depth` deep, as JSON text (never built as a value here). */
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

describe('hostile input to one long-running host', () => {
  let host: RawHost
  beforeAll(async () => {
    host = startRawHost()
    host.send(hello)
    await host.reply((e) => e.t === 'hello', "the host's hello")
  })
  afterAll(async () => {
    await host.dispose()
  })

  it('frames of random bytes: ignored with a line each, the session goes on', async () => {
    const before = host.stderr.split('\n').length
    for (let i = 0; i < 200; i++) {
      // A leading '~' keeps the body from parsing as JSON by chance (a bare digit would).
      host.write(frame(Buffer.concat([Buffer.from('~'), randomBytes(1 + ((i * 37) % 4096))])))
    }
    await expectAlive(host)
    await until(() => host.stderr.split('\n').length - before >= 200, 'a stderr line per bad frame')
    expect(host.stderr).toContain('-byte frame is not JSON')
  })

  it('bodies that are JSON but not envelopes: ignored, no reply', async () => {
    const count = host.reader.envelopes.length
    for (const body of ['5', 'null', '"call"', 'true', '[]', '[[]]', '[1,2,3]', '{}', '{"t":null}'])
      host.write(frame(body))
    await expectAlive(host)
    expect(host.reader.envelopes.length).toBe(count + 1) // just the ping's answer
  })

  it('invalid UTF-8 inside a string: decoded with U+FFFD, the call is answered', async () => {
    const id = newId()
    const bytes = Buffer.concat([
      Buffer.from(`{"t":"call","id":${id},"p":"echo","a":["`),
      Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), // bad bytes, overlong '/', a UTF-16 surrogate
      Buffer.from('"]}'),
    ])
    const reply = await replyTo(host, frame(bytes), id)
    expect(reply.t).toBe('ok')
    expect(reply.r).toMatch(/^\uFFFD+$/)
  })

  it('invalid UTF-8 outside strings: not JSON, ignored', async () => {
    host.write(frame(Buffer.concat([Buffer.from([0xff]), Buffer.from('{"t":"hello","v":1}')])))
    await expectAlive(host)
  })

  it('JSON nested 100k deep: in an argument, in an unknown field, in codec metadata; each answered', async () => {
    // As an argument it is refused before any handler runs (maxDepth, 64 by default), so no handler can
    // recurse into it or fail to send it back.
    let id = newId()
    let reply = await replyTo(
      host,
      frame(`{"t":"call","id":${id},"p":"length","a":[${deepArray(100_000)}]}`),
      id,
    )
    expect(reply).toMatchObject({ t: 'err', id, e: { code: 'BAD_REQUEST' } })
    expect((reply.e as { message: string }).message).toBe(
      'arguments of "length" nest deeper than 64 levels (maxDepth); send flatter data or raise maxDepth',
    )
    id = newId()
    reply = await replyTo(host, frame(`{"t":"call","id":${id},"p":"echo","a":[${deepArray(100_000)}]}`), id)
    expect(reply).toMatchObject({ t: 'err', e: { code: 'BAD_REQUEST' } })
    // Unknown fields are ignored however deep they are.
    id = newId()
    reply = await replyTo(
      host,
      frame(`{"t":"call","id":${id},"p":"ping","a":[],"z":${deepObject(100_000)}}`),
      id,
    )
    expect(reply).toEqual({ t: 'ok', id, r: 'pong' })
    // Deep codec metadata: the arguments cannot be decoded, the call fails with a clear error.
    id = newId()
    reply = await replyTo(
      host,
      frame(`{"t":"call","id":${id},"p":"echo","a":[1],"x":{"values":{"0":${deepArray(100_000)}}}}`),
      id,
    )
    expect(reply).toMatchObject({ t: 'err', e: { code: 'BAD_REQUEST' } })
    // Metadata with no part superjson knows is nothing to apply, however deep.
    id = newId()
    reply = await replyTo(
      host,
      frame(`{"t":"call","id":${id},"p":"echo","a":[1],"x":${deepObject(100_000)}}`),
      id,
    )
    expect(reply).toEqual({ t: 'ok', id, r: 1 })
    await expectAlive(host)
  })

  it('huge arrays: a 5-million-element argument is answered; an oversized batch is refused', async () => {
    const id = newId()
    const big = `{"t":"call","id":${id},"p":"length","a":[[${'0,'.repeat(5_000_000 - 1)}0]]}`
    const reply = await replyTo(host, frame(big), id)
    expect(reply).toEqual({ t: 'ok', id, r: 5_000_000 })
    // A batch (a JSON array of envelopes) over 65,536 items is refused whole, with one line.
    const batchId = newId()
    const items = Array.from({ length: 70_000 }, () => `{"t":"call","id":${batchId},"p":"ping","a":[]}`)
    host.write(frame(`[${items.join(',')}]`))
    await expectAlive(host)
    expect(host.reader.envelopes.some((e) => e.id === batchId)).toBe(false)
    expect(host.stderr).toContain('a batch of 70000 envelopes is over the limit')
  })

  it('unknown kinds and malformed envelopes: PROTOCOL_ERROR where a call had an id, else a line', async () => {
    const count = host.reader.envelopes.length
    for (const env of [
      { t: 'zap', id: newId() },
      { t: 'zap' },
      { t: 'HELLO', v: 1 },
      { t: 'hello', v: '1' },
      { t: 'call', id: -1, p: 'ping', a: [] },
      { t: 'call', id: 1.5, p: 'ping', a: [] },
      { t: 'call', id: '7', p: 'ping', a: [] },
      { t: 'ok', id: 'x' },
      { t: 'credit', id: 1, n: -5 },
      { t: 'chunk', k: 1, d: 5 },
    ])
      host.send(env)
    await expectAlive(host)
    expect(host.reader.envelopes.length).toBe(count + 1) // nothing answered but the ping

    for (const bad of [
      { p: 5, a: [] },
      { p: '', a: [] },
      { p: 'x'.repeat(2000), a: [] },
      { p: 'ping' },
      { p: 'ping', a: [], st: [999] },
      { p: 'ping', a: [], st: Array.from({ length: 33 }, (_, i) => i) }, // MAX_STREAM_ARGS is 32
      { p: 'ping', a: [], w: 0 },
    ]) {
      const reply = await callRaw(host, bad)
      expect(reply).toMatchObject({ t: 'err', e: { name: 'RpcError', code: 'PROTOCOL_ERROR' } })
      // One line, naming what was wrong, without a stack.
      expect((reply.e as { stack?: unknown }).stack).toBeUndefined()
    }
    expect(await callRaw(host, { p: 'ping', a: 'not a list' })).toMatchObject({
      t: 'err',
      e: { code: 'BAD_REQUEST' },
    })
    await expectAlive(host)
  })

  it('duplicate ids: a second call reusing a running id is ignored; unknown ids are ignored', async () => {
    const id = newId()
    host.send({ t: 'call', id, p: 'slow', a: [300, 'dup-first'] })
    host.send({ t: 'call', id, p: 'ping', a: [] })
    const reply = await host.reply((e) => e.id === id, 'the first call to answer')
    await until(() => host.stderr.includes(`reused call id ${id}`), 'the duplicate id to be reported')
    expect(reply).toEqual({ t: 'ok', id, r: 'done' })
    // Replies, stream items, credit and cancels for calls that never existed.
    for (const env of [
      { t: 'ok', id: 987654, r: 1 },
      { t: 'err', id: 987654, e: { name: 'Error', message: 'x', code: 'X' } },
      { t: 'next', id: 987654, r: 1 },
      { t: 'end', id: 987654 },
      { t: 'credit', id: 987654, n: 1_000_000 },
      { t: 'cancel', id: 987654 },
      { t: 'next', id: 987654, s: 3, r: 1 },
      { t: 'cancel', id: 987654, s: 3 },
    ])
      host.send(env)
    await expectAlive(host)
    // After the first finished, the id may be used again.
    host.write(jsonFrame({ t: 'call', id, p: 'add', a: [2, 3] }))
    const again = await host.reply((e) => e.id === id && e.r === 5, 'the reused id to be answered')
    expect(again).toEqual({ t: 'ok', id, r: 5 })
  })

  it('__proto__ and constructor payloads: no prototype pollution, no crash', async () => {
    // Raw JSON text: in a JS literal `__proto__` would set the prototype instead of making an own key.
    const attempts = [
      '"p":"echo","a":[{"__proto__":{"polluted":true}}]',
      '"p":"echo","a":[{"constructor":{"prototype":{"polluted":true}}}]',
      '"p":"echo","a":[{"__proto__":{"isAdmin":true}}],"x":{"values":{"0":[["class","Object"]]}}',
      '"p":"echo","a":[{"__proto__":{"polluted":true},"d":"1970-01-01T00:00:00.000Z"}],"x":{"values":{"0.d":["Date"]}}',
      // superjson metadata that walks into the prototype
      '"p":"echo","a":[{}],"x":{"values":{"0.__proto__.polluted":["undefined"]}}',
      '"p":"echo","a":[{"a":{}}],"x":{"referentialEqualities":{"0.a":["0.__proto__"]}}',
      '"p":"echo","a":[{"a":1}],"x":{"referentialEqualities":{"0.a":["0.constructor.prototype.polluted"]}}',
      '"p":"echo","a":[[1]],"x":{"values":{"0":["set"],"0.__proto__":["map"]}}',
      '"p":"echo","a":[[["__proto__",{"isAdmin":true}]]],"x":{"values":{"0":["map"]}}',
      '"p":"echo","a":[{"__proto__":1}],"x":{"values":{"0.__proto__":["bigint"]}}',
    ]
    const outcomes: string[] = []
    for (const body of attempts) {
      const id = newId()
      const reply = await replyTo(host, frame(`{"t":"call","id":${id},${body}}`), id)
      outcomes.push(reply.t === 'ok' ? 'ok' : String((reply.e as { code: string }).code))
    }
    // Each is answered: echoed as plain data (an own "__proto__" key is just data), or refused as a bad
    // request where superjson metadata names a path through __proto__, constructor or prototype.
    // The fourth decodes (an own "__proto__" key next to a Date, on a null-prototype object, polluting
    // nothing), but superjson refuses to encode an own "__proto__" key, so its echo fails as the result.
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'BAD_REQUEST',
      'HANDLER_ERROR',
      'BAD_REQUEST',
      'BAD_REQUEST',
      'BAD_REQUEST',
      'BAD_REQUEST',
      'ok',
      'BAD_REQUEST',
    ])
    expect(await callRaw(host, { p: 'polluted', a: [] })).toMatchObject({ t: 'ok', r: false })
    // Paths that name Object.prototype members are not methods.
    for (const p of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'echo.constructor',
      'ping.call',
    ]) {
      expect(await callRaw(host, { p, a: [] })).toMatchObject({ t: 'err', e: { code: 'NOT_FOUND' } })
    }
    // An envelope whose own __proto__ key tries to lend it a kind: not an envelope, no reply.
    const id = newId()
    host.write(frame(`{"__proto__":{"t":"call","id":${id},"p":"ping","a":[]}}`))
    await expectAlive(host)
    expect(host.reader.envelopes.some((e) => e.id === id)).toBe(false)
  })

  it('wrote nothing that looks like a crash, and never a frame over 1 MiB', () => {
    expect(crashLines(host.stderr)).toEqual([])
    expect(host.reader.largest).toBeLessThanOrEqual(MiB)
    expect(host.exit).toBeNull()
  })
})

describe('a flood of bad envelopes: the host prints a bounded number of lines and counts the rest', () => {
  it(`${BAD} bad envelopes: at most LOG_BURST lines plus a trickle, every one printed or counted`, async () => {
    const host = startRawHost()
    try {
      host.send(hello)
      await host.reply((e) => e.t === 'hello', "the host's hello")
      // One batch: the host refuses each envelope in turn, as fast as it can.
      host.write(jsonFrame(Array.from({ length: BAD }, () => ({ t: 'credit', id: 1, n: -5 }))))
      await expectAlive(host)
      host.toHost.end()
      await exitWithin(host, 10_000, 'stdin closed')
      const lines = host.stderr.split('\n')
      const printed = lines.filter((l) => l.includes('"credit" needs a positive integer "n", got -5')).length
      const counted = lines.reduce(
        (n, l) => n + Number(/^nmrpc: (\d+) more diagnostic lines were not printed/.exec(l)?.[1] ?? 0),
        0,
      )
      // Without the budget: BAD lines. With it: the burst, plus LOG_PER_SECOND for each second it took.
      expect(printed).toBeGreaterThanOrEqual(LOG_BURST)
      expect(printed).toBeLessThan(BAD / 2)
      expect(printed + counted).toBe(BAD)
      expect(crashLines(host.stderr)).toEqual([])
    } finally {
      await host.dispose()
    }
  })
})

describe('byte streams beyond repair: the host closes with one clear line', () => {
  const cases: Array<[string, Buffer]> = [
    ['a 4 GiB length header', Buffer.concat([lengthHeader(0xffffffff), Buffer.from('{}')])],
    ['a length header just over the 64 MiB limit', lengthHeader(64 * MiB + 1)],
    ['an HTTP request instead of frames', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ]
  for (const [what, bytes] of cases) {
    it(what, async () => {
      const host = startRawHost()
      try {
        host.send(hello)
        await host.reply((e) => e.t === 'hello', "the host's hello")
        host.write(bytes)
        const exit = await exitWithin(host, 10_000, what)
        expect(exit.signal).toBeNull()
        const lines = host.stderr.split('\n').filter((l) => l.includes('input is broken'))
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(/frame length header says \d+ bytes, over the limit of 67108864 bytes/)
        expect(crashLines(host.stderr)).toEqual([])
      } finally {
        await host.dispose()
      }
    })
  }
})

describe('protocol versions', () => {
  it('a hello of another version: every call is answered VERSION_MISMATCH naming both', async () => {
    const host = startRawHost()
    try {
      host.send({ t: 'hello', v: 99, impl: 'future/9.0.0' })
      host.send({ t: 'call', id: 1, p: 'ping', a: [] })
      const reply = await host.reply((e) => e.id === 1, 'the answer')
      expect(reply).toMatchObject({ t: 'err', e: { code: 'VERSION_MISMATCH' } })
      expect((reply.e as { message: string }).message).toMatch(/protocol 99 \(future\/9\.0\.0\).*protocol 1/)
      expect(host.reader.envelopes[0]).toMatchObject({ t: 'hello', v: 1 })
    } finally {
      await host.dispose()
    }
  })
})
