import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { FramedWriter } from '../../src/server/framedWriter.js'
import { FrameDecoder } from '../../src/shared/frame.js'

const LIMIT = 1024
/** What the peer reads back: the text's UTF-8, decoded (a lone surrogate becomes U+FFFD). */
const roundTrip = (t: string) => Buffer.from(t, 'utf8').toString('utf8')

/** A FramedWriter over a sink that decodes what it is given back into bodies. */
function writer() {
  const bodies: string[] = []
  const decoder = new FrameDecoder((body) => bodies.push(Buffer.from(body).toString('utf8')), {
    maxFrame: 1 << 20,
  })
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      decoder.push(chunk)
      done()
    },
  })
  return { w: new FramedWriter(output, { maxMessageBytes: LIMIT }), bodies }
}

describe('FramedWriter', () => {
  // ASCII, 2-byte, 3-byte and 4-byte characters, a lone surrogate (3 bytes as U+FFFD), and an empty body.
  const texts = ['{"t":"ok","id":1}', 'é'.repeat(7), '→x→', '😀a😀', 'a\ud800b', '']

  it('frames a body whose byte count the caller gives, when the count is right', async () => {
    const { w, bodies } = writer()
    for (const t of texts) w.send(t, Buffer.byteLength(t))
    await w.flush()
    expect(bodies).toEqual(texts.map(roundTrip))
  })

  it('never trusts a wrong count: each frame still has the body and its real length', async () => {
    const { w, bodies } = writer()
    const sent: string[] = []
    for (const t of texts) {
      const real = Buffer.byteLength(t)
      for (const claim of [0, real - 4, real - 3, real - 1, real + 1, real + 3, real + 4, real + 100]) {
        if (claim < 0) continue
        w.send(t, claim)
        sent.push(roundTrip(t))
      }
    }
    await w.flush()
    expect(bodies).toEqual(sent)
  })

  it('refuses a body over the limit even when the count given says it fits', () => {
    const { w } = writer()
    expect(() => w.send('x'.repeat(LIMIT + 1), 10)).toThrow(/tried to write a 1025-byte message/)
    expect(() => w.send('é'.repeat(LIMIT / 2 + 1), LIMIT)).toThrow(/tried to write a 1026-byte message/)
  })
})
