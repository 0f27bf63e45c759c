import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FrameDecoder, FrameError, NATIVE_LITTLE_ENDIAN, writeLength } from '../../src/shared/frame.js'
import { runs } from './runs.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Frames `bodies` the way a browser does: 4-byte length in the given order, then the bytes. */
function frame(bodies: Uint8Array[], littleEndian = NATIVE_LITTLE_ENDIAN): Uint8Array {
  const out = new Uint8Array(bodies.reduce((n, b) => n + 4 + b.length, 0))
  let at = 0
  for (const b of bodies) {
    writeLength(out, at, b.length, littleEndian)
    out.set(b, at + 4)
    at += 4 + b.length
  }
  return out
}

/** A decoder that copies what it is handed (frames may be views into the caller's chunk). */
function collector(options: { maxFrame: number; littleEndian?: boolean }) {
  const got: Uint8Array[] = []
  const decoder = new FrameDecoder((body) => got.push(body.slice()), options)
  return { got, decoder }
}

/** Cuts `bytes` at the given offsets (unsorted, duplicates allowed), keeping every piece a view. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Uint8Array[] = []
  let from = 0
  for (const p of points) {
    pieces.push(bytes.subarray(from, p))
    from = p
  }
  pieces.push(bytes.subarray(from))
  return pieces
}

const texts = ['{"t":"hello","v":1}', '', '{"t":"call","id":1,"p":"a.b","a":[1,"é€😀"]}', 'x'.repeat(300)]
const bodies = texts.map((t) => enc.encode(t))

describe('FrameDecoder', () => {
  it('decodes several frames fed one byte at a time', () => {
    const { got, decoder } = collector({ maxFrame: 1024 })
    const wire = frame(bodies)
    for (let i = 0; i < wire.length; i++) {
      decoder.push(wire.subarray(i, i + 1))
      // Between frames nothing is held; inside one, exactly the bytes of the started frame are.
      expect(decoder.buffered).toBeLessThanOrEqual(4 + 300)
    }
    expect(got.map((b) => dec.decode(b))).toEqual(texts)
    expect(decoder.buffered).toBe(0)
  })

  it('decodes the same stream split at every single offset', () => {
    const wire = frame(bodies)
    for (let cut = 0; cut <= wire.length; cut++) {
      const { got, decoder } = collector({ maxFrame: 1024 })
      decoder.push(wire.subarray(0, cut))
      decoder.push(wire.subarray(cut))
      expect(got.map((b) => dec.decode(b))).toEqual(texts)
    }
  })

  it('yields the same bodies in order for any split of any sequence of frames (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (frames, cuts, littleEndian) => {
          const { got, decoder } = collector({ maxFrame: 64, littleEndian })
          for (const piece of split(frame(frames, littleEndian), cuts)) decoder.push(piece)
          expect(got).toEqual(frames)
          expect(decoder.buffered).toBe(0)
        },
      ),
      { numRuns: runs(20_000) },
    )
  })

  it('hands out many frames from one chunk, as views without copying', () => {
    const many = Array.from({ length: 1000 }, (_, i) => enc.encode(`{"n":${i}}`))
    const wire = frame(many)
    const views: Uint8Array[] = []
    new FrameDecoder((b) => views.push(b), { maxFrame: 64 }).push(wire)
    expect(views.map((b) => dec.decode(b))).toEqual(many.map((b) => dec.decode(b)))
    // Zero copy: each body shares the chunk's memory.
    expect(views.every((v) => v.buffer === wire.buffer)).toBe(true)
  })

  it('reassembles a frame spanning several chunks into one body', () => {
    const big = enc.encode(JSON.stringify({ d: 'é'.repeat(5000) }))
    const wire = frame([big, bodies[0]!])
    const { got, decoder } = collector({ maxFrame: 1 << 20 })
    decoder.push(wire.subarray(0, 2)) // half a header
    decoder.push(wire.subarray(2, 1000))
    expect(got).toEqual([])
    expect(decoder.buffered).toBe(1000 - 4) // the header is consumed; the body bytes so far are held
    decoder.push(wire.subarray(1000, 7000))
    decoder.push(wire.subarray(7000))
    expect(got).toEqual([big, bodies[0]])
    expect(decoder.buffered).toBe(0)
  })

  it('emits zero-length frames, alone, in a row and at a chunk end', () => {
    const empty = new Uint8Array(0)
    const wire = frame([empty, empty, bodies[0]!, empty])
    for (const cuts of [[], [4], [8], [2, 6], [wire.length - 4], [wire.length - 1]]) {
      const { got, decoder } = collector({ maxFrame: 16 * 1024 })
      for (const piece of split(wire, cuts)) decoder.push(piece)
      expect(got.map((b) => b.length)).toEqual([0, 0, bodies[0]!.length, 0])
    }
  })

  it('refuses the length header "Hell" (1.8 GB) as soon as its 4 bytes arrive, before allocating', () => {
    // A host whose peer writes text instead of framing ("Hello") must not try to allocate 1.8 GB.
    const frames: Uint8Array[] = []
    const decoder = new FrameDecoder((b) => frames.push(b), { maxFrame: 64 << 20, littleEndian: true })
    const hello = enc.encode('Hello, world')
    decoder.push(hello.subarray(0, 3)) // "Hel": not yet a whole header
    expect(decoder.buffered).toBe(3)
    let thrown: unknown
    try {
      decoder.push(hello.subarray(3)) // "l" completes the header: 0x6c6c6548 little-endian
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(FrameError)
    expect((thrown as Error).message).toMatchInlineSnapshot(
      `"frame length header says 1819043144 bytes, over the limit of 67108864 bytes; the stream is not native-messaging framing (or the sender is broken) and cannot be resynchronised"`,
    )
    expect(0x6c6c6548).toBe(1819043144)
    // Nothing was allocated for the body: only the 4 header bytes were ever buffered.
    expect(decoder.buffered).toBe(0)
    expect(frames).toEqual([])
    // Beyond repair: even a well-formed frame afterwards throws the same error.
    expect(() => decoder.push(frame([bodies[0]!], true))).toThrow(thrown as Error)
    expect(() => decoder.push(new Uint8Array(0))).toThrow(FrameError)
  })

  it('refuses oversize headers in one chunk too, and accepts exactly maxFrame', () => {
    const exact = collector({ maxFrame: 10 })
    exact.decoder.push(frame([new Uint8Array(10)]))
    expect(exact.got).toHaveLength(1)
    const over = collector({ maxFrame: 10 })
    expect(() => over.decoder.push(frame([new Uint8Array(11)]))).toThrowErrorMatchingInlineSnapshot(
      `[FrameError: frame length header says 11 bytes, over the limit of 10 bytes; the stream is not native-messaging framing (or the sender is broken) and cannot be resynchronised]`,
    )
    expect(over.got).toEqual([])
  })

  it('refuses any header above maxFrame up to 4 GiB without allocating (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1025, max: 0xffffffff }), fc.boolean(), fc.nat(3), (size, le, cut) => {
        const header = new Uint8Array(4)
        writeLength(header, 0, size, le)
        const { got, decoder } = collector({ maxFrame: 1024, littleEndian: le })
        decoder.push(header.subarray(0, cut))
        expect(() => decoder.push(header.subarray(cut))).toThrow(`says ${size} bytes`)
        expect(decoder.buffered).toBe(0)
        expect(got).toEqual([])
      }),
      { numRuns: runs(5_000) },
    )
  })

  it('never throws anything but FrameError on random bytes, and never emits a frame over maxFrame (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 8 }), (chunks) => {
        const decoder = new FrameDecoder(
          (b) => {
            if (b.length > 32) throw new Error(`frame of ${b.length} bytes over maxFrame`)
          },
          { maxFrame: 32 },
        )
        try {
          for (const c of chunks) decoder.push(c)
        } catch (e) {
          if (!(e instanceof FrameError)) throw e
        }
      }),
      { numRuns: runs(10_000) },
    )
  })

  it('reads both byte orders', () => {
    const le = collector({ maxFrame: 1 << 20, littleEndian: true })
    le.decoder.push(Uint8Array.of(3, 0, 0, 0, 0x61, 0x62, 0x63))
    le.decoder.push(Uint8Array.of(0, 1, 0, 0, ...new Uint8Array(256)))
    expect(le.got.map((b) => b.length)).toEqual([3, 256])
    const be = collector({ maxFrame: 1 << 20, littleEndian: false })
    be.decoder.push(Uint8Array.of(0, 0, 0, 3, 0x61, 0x62, 0x63))
    be.decoder.push(Uint8Array.of(0, 0, 1, 0, ...new Uint8Array(256)))
    expect(be.got.map((b) => b.length)).toEqual([3, 256])
    // The same 4 bytes mean different sizes in the two orders; the wrong order is refused, not misread.
    expect(() =>
      collector({ maxFrame: 1 << 20, littleEndian: false }).decoder.push(Uint8Array.of(3, 0, 0, 0)),
    ).toThrow('says 50331648 bytes')
  })

  it('defaults to the machine byte order', () => {
    expect(NATIVE_LITTLE_ENDIAN).toBe(new Uint8Array(Uint32Array.of(1).buffer)[0] === 1)
    const { got, decoder } = collector({ maxFrame: 64 })
    decoder.push(frame([bodies[0]!], NATIVE_LITTLE_ENDIAN))
    expect(got).toEqual([bodies[0]])
  })

  it('writeLength round-trips every 32-bit size in both orders (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), fc.nat(8), (size, le, at) => {
        const target = new Uint8Array(16).fill(0xaa)
        writeLength(target, at, size, le)
        const view = new DataView(target.buffer)
        expect(view.getUint32(at, le)).toBe(size)
        // Only the 4 header bytes are written.
        expect([...target.subarray(0, at), ...target.subarray(at + 4)].every((b) => b === 0xaa)).toBe(true)
      }),
      { numRuns: runs(5_000) },
    )
  })

  it('writeLength agrees with what the decoder reads', () => {
    for (const le of [true, false]) {
      const body = new Uint8Array(70_000).fill(7)
      const wire = new Uint8Array(4 + body.length)
      writeLength(wire, 0, body.length, le)
      wire.set(body, 4)
      const { got, decoder } = collector({ maxFrame: 70_000, littleEndian: le })
      decoder.push(wire)
      expect(got).toHaveLength(1)
      expect(Buffer.from(got[0]!).equals(body)).toBe(true)
    }
  })
})
