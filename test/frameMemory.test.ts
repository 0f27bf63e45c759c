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

  it('grows by doubling and still delivers the frame byte-exact', () => {
    const size = 3 * 1024 * 1024 + 17
    const body = new Uint8Array(size).map((_, i) => (i * 7) & 0xff)
    const frames: Uint8Array[] = []
    const dec = new FrameDecoder((b) => frames.push(b.slice()), { maxFrame: 64 << 20 })
    dec.push(header(size))
    const sizes: number[] = []
    for (let at = 0; at < size; at += 10_000) {
      dec.push(body.subarray(at, Math.min(size, at + 10_000)))
      sizes.push(dec.allocated)
    }
    expect(frames).toHaveLength(1)
    expect(frames[0]).toEqual(body)
    // Allocation stayed within twice what had arrived, and the number of distinct sizes is logarithmic.
    expect(new Set(sizes.filter((s) => s > 0)).size).toBeLessThan(10)
    expect(dec.allocated).toBe(0)
  })
})
