// The browser end of the pipes goes away at awkward moments. The host must neither crash loudly (an
// uncaught EPIPE with a stack trace) nor hang: it exits, promptly, on its own.
import { afterEach, describe, expect, it } from 'vitest'
import { lengthHeader } from './rawFrames.js'
import { crashLines, exitWithin, type RawHost, startRawHost } from './rawHost.js'

const MiB = 1024 * 1024
let host: RawHost | undefined
afterEach(async () => {
  await host?.dispose()
  host = undefined
})

const hello = { t: 'hello', v: 1, impl: 'faults/test' }

/** A raw host that has started answering a 50 MiB result: its first chunk piece has arrived. */
async function hostMidResult(): Promise<RawHost> {
  const h = startRawHost()
  h.send(hello)
  h.send({ t: 'call', id: 1, p: 'big', a: [50 * MiB] })
  await h.reply((e) => e.t === 'chunk' && e.id === 1, 'the first piece of the result')
  return h
}

describe('the host stdout is closed early (EPIPE on the host side)', () => {
  it('before the host answers: it exits without a crash trace', async () => {
    host = startRawHost()
    host.send(hello)
    host.send({ t: 'call', id: 1, p: 'ping', a: [] })
    await host.reply((e) => e.id === 1, 'the first answer')
    // The browser side stops reading: its end of the host's stdout closes.
    host.fromHost.destroy()
    // Replies now fail with EPIPE on the host; stdin stays open, so only the write error can end it.
    for (let id = 2; id < 50; id++) host.send({ t: 'call', id, p: 'ping', a: [] })
    const exit = await exitWithin(host, 10_000, 'its stdout closed')
    expect(exit.signal).toBeNull()
    expect(crashLines(host.stderr)).toEqual([])
  })

  it('in the middle of a 50 MiB result: it exits without a crash trace', async () => {
    host = await hostMidResult()
    host.fromHost.destroy()
    const exit = await exitWithin(host, 10_000, 'its stdout closed mid-result')
    expect(exit.signal).toBeNull()
    expect(crashLines(host.stderr)).toEqual([])
  })
})

describe('stdin is closed while the host writes a large result', () => {
  it('the reader keeps reading: the host finishes or stops, and exits promptly', async () => {
    host = await hostMidResult()
    host.toHost.end()
    const exit = await exitWithin(host, 10_000, 'stdin closed mid-result')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(crashLines(host.stderr)).toEqual([])
    // Never a frame over the browser's limit, even while closing.
    expect(host.reader.largest).toBeLessThanOrEqual(MiB)
  })

  it('the reader stops reading and then closes both ends (what a browser does): no hang, no trace', async () => {
    host = await hostMidResult()
    host.fromHost.pause()
    host.toHost.end()
    // A browser closes its read end too when the Port is gone.
    await new Promise((r) => setTimeout(r, 200))
    host.fromHost.destroy()
    const exit = await exitWithin(host, 10_000, 'both pipes closed mid-result')
    expect(exit.signal).toBeNull()
    expect(crashLines(host.stderr)).toEqual([])
  })

  it('the reader holds stdout open but never reads again: the host still exits within its close grace', async () => {
    host = await hostMidResult()
    host.fromHost.pause()
    host.toHost.end()
    // closeGrace (1 s) for the idle wait and again for the flush, then exit: well before the 10 s bound.
    const exit = await exitWithin(host, 10_000, 'stdin closed while stdout is full')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(crashLines(host.stderr)).toEqual([])
  })
})

describe('stdin is cut inside a frame', () => {
  it('a truncated frame then EOF: the host exits 0 without a trace', async () => {
    host = startRawHost()
    host.send(hello)
    host.send({ t: 'call', id: 1, p: 'ping', a: [] })
    await host.reply((e) => e.id === 1, 'the answer')
    host.write(Buffer.concat([lengthHeader(100), Buffer.from('{"t":"call","id":2,')]))
    host.toHost.end()
    const exit = await exitWithin(host, 10_000, 'stdin ended inside a frame')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(crashLines(host.stderr)).toEqual([])
  })

  it('a truncated header then EOF: the host exits 0 without a trace', async () => {
    host = startRawHost()
    host.send(hello)
    host.write(Buffer.from([7, 0]))
    host.toHost.end()
    const exit = await exitWithin(host, 10_000, 'stdin ended inside a header')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(crashLines(host.stderr)).toEqual([])
  })
})
