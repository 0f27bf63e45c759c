import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type Envelope, PROTOCOL_VERSION, parseEnvelope } from '../src/shared/protocol.js'
import { Reassembler } from '../src/shared/reassembler.js'

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8')
// A batch example is an array of envelopes; each of its envelopes counts as an example.
const examples = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].flatMap((m) => {
  const value: unknown = JSON.parse(m[1]!)
  return Array.isArray(value) ? value.map((v) => JSON.stringify(v)) : [m[1]!]
})

describe('PROTOCOL.md is true to the code', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(15)
  })

  it.each(examples)('accepts the example %s', (text) => {
    const env = parseEnvelope(JSON.parse(text))
    expect(env.t).toBeTypeOf('string')
  })

  it('shows every envelope kind', () => {
    const kinds = new Set(examples.map((t) => (JSON.parse(t) as Envelope).t))
    expect([...kinds].sort()).toEqual([
      'bin',
      'call',
      'cancel',
      'chunk',
      'credit',
      'end',
      'err',
      'event',
      'hello',
      'next',
      'ok',
      'str',
    ])
  })

  it('names the protocol version the code speaks', () => {
    expect(doc).toMatch(new RegExp(`^# The nmrpc wire protocol, version ${PROTOCOL_VERSION}$`, 'm'))
    const hello = examples.map((t) => JSON.parse(t)).find((e) => e.t === 'hello')
    expect(hello.v).toBe(PROTOCOL_VERSION)
  })

  it('shows a batch', () => {
    expect(doc).toMatch(/```json\n\[\{"t":"call"/)
  })

  it('has a bin example that decodes with the real codec', async () => {
    const { superjsonCodec } = await import('../src/shared/codec.js')
    const { BlobInbox } = await import('../src/shared/blobs.js')
    const [ok, bin] = examples
      .map((t) => parseEnvelope(JSON.parse(t)))
      .filter((e) => (e as { id?: number }).id === 9) as [
      Extract<Envelope, { t: 'ok' }>,
      Extract<Envelope, { t: 'bin' }>,
    ]
    const inbox = new BlobInbox(1 << 20)
    expect(inbox.start(ok, ok.b!)).toBeUndefined() // no reason to refuse it
    const done = inbox.add(bin)
    expect(done.kind).toBe('complete')
    const blobs = (done as { blobs: Uint8Array[] }).blobs
    expect(superjsonCodec().decode(ok.r, ok.x, blobs)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]))
  })

  it('shows an undefined result as the default codec sends it: no r, no x', async () => {
    const { superjsonCodec } = await import('../src/shared/codec.js')
    const ok = examples.map((t) => JSON.parse(t)).find((e) => e.t === 'ok' && e.id === 4)
    expect(ok).toEqual({ t: 'ok', id: 4 })
    expect(superjsonCodec().encode(undefined)).toEqual({ json: undefined })
    // test/faults/decodeWork.test.ts checks the same on a real host's reply.
  })

  it('has chunk examples that reassemble into a valid envelope', () => {
    const r = new Reassembler(1 << 20)
    let out: unknown
    for (const text of examples) {
      const env = parseEnvelope(JSON.parse(text))
      if (env.t !== 'chunk') continue
      const res = r.add(env)
      if (res.kind === 'complete') out = parseEnvelope(JSON.parse(res.text))
    }
    expect(out).toEqual({ t: 'ok', id: 7, r: 'aaaaaaaa' })
  })

  it('refuses a call that names the same stream argument twice', () => {
    expect(() => parseEnvelope({ t: 'call', id: 1, p: 'sum', a: [null], st: [0, 0] })).toThrow(
      '"call" envelope has a bad "st" ([0,0]): a list of distinct argument indexes',
    )
  })

  it('lists every error code the code has', async () => {
    const { RPC_ERROR_CODES } = await import('../src/shared/errors.js')
    for (const code of RPC_ERROR_CODES) expect(doc).toContain(`\`${code}\``)
  })
})
