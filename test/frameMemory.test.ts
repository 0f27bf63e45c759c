import { describe, expect, it } from 'vitest'
import { FrameDecoder, writeLength } from '../src/shared/frame.js'

const header = (size: number) => {
  const h = new Uint8Array(4)
  writeLength(h, 0, size)
  return h
}

describe('FrameDecoder allocates in proportion to what has arrived', () => {
  it('holds only what was sent of a frame that announces 60 MiB', () => {
    const frames: Uint8Array[] = []
    const dec = new FrameDecoder((b) => frames.push(b), { maxFrame: 64 << 20 })
    dec.push(header(60 << 20))
    dec.push(new Uint8Array(100))
    expect(dec.allocated).toBeLessThanOrEqual(64 * 1024)
    expect(frames).toHaveLength(0)
  })

  it('holds what arrived (plus at most one staging block), copies it once, and delivers it byte-exact', () => {
    const size = 3 * 1024 * 1024 + 17
    const body = new Uint8Array(size).map((_, i) => (i * 7) & 0xff)
    const frames: Uint8Array[] = []
    const dec = new FrameDecoder((b) => frames.push(b.slice()), { maxFrame: 64 << 20 })
    dec.push(header(size))
    // Pieces of every size class: large ones kept as views, small ones staged (a byte at a time too).
    const steps = [10_000, 1, 3, 4096, 4095, 70_000, 100, 65_536, 65_537]
    let at = 0
    for (let i = 0; at < size; i++) {
      const end = Math.min(size, at + steps[i % steps.length]!)
      dec.push(body.subarray(at, end))
      at = end
      if (at < size) expect(dec.allocated).toBeLessThanOrEqual(at + 64 * 1024)
    }
    expect(frames).toHaveLength(1)
    expect(Buffer.from(frames[0]!).equals(body)).toBe(true)
    expect(dec.allocated).toBe(0)
  })
})
