import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64, encodeBase64 } from '../../src/shared/base64.js'
import { runs } from './runs.js'

describe('base64', () => {
  it('round-trips any bytes, including views into larger buffers (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), fc.nat(8), (bytes, before, after) => {
        // Embed the bytes in a larger buffer so a view with an offset is encoded, as for a Buffer slice.
        const host = new Uint8Array(before + bytes.length + after).fill(0xee)
        host.set(bytes, before)
        const view = host.subarray(before, before + bytes.length)
        const text = encodeBase64(view)
        expect(text).toBe(Buffer.from(bytes).toString('base64'))
        expect(decodeBase64(text)).toStrictEqual(bytes)
      }),
      { numRuns: runs(10_000) },
    )
  })

  it("decodes into memory of its own, never a view into Node's shared Buffer pool", () => {
    // Buffer.from(string) carves small results out of a shared 8 KiB pool that holds other data (other
    // messages). A handler that passes `bytes.buffer` on (a Blob, a worker, a file) must get only its bytes.
    Buffer.from('secret from another message') // make sure the pool is in use
    for (const text of ['AAEC', 'Zm9vYmFy', '', 'A'.repeat(8000), '!!AAEC!!']) {
      const bytes = decodeBase64(text)
      expect(bytes.byteOffset).toBe(0)
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength)
    }
  })

  it('known vectors (RFC 4648)', () => {
    const vectors = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar']
    const expected = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy']
    expect(vectors.map((v) => encodeBase64(new TextEncoder().encode(v)))).toEqual(expected)
    expect(expected.map((e) => new TextDecoder().decode(decodeBase64(e)))).toEqual(vectors)
  })
})

describe('base64 without Node Buffer (the service worker path: btoa/atob)', () => {
  async function loadWithoutBuffer() {
    const { vi } = await import('vitest')
    vi.resetModules()
    const saved = globalThis.Buffer
    // The module picks its primitive when it loads; hide Buffer just for that moment.
    Reflect.deleteProperty(globalThis, 'Buffer')
    try {
      return await import('../../src/shared/base64.js')
    } finally {
      globalThis.Buffer = saved
    }
  }

  it('round-trips any bytes and agrees with Node (property)', async () => {
    const browser = await loadWithoutBuffer()
    expect(browser.encodeBase64).not.toBe(encodeBase64) // really a fresh module instance
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (bytes, before) => {
        const host = new Uint8Array(before + bytes.length)
        host.set(bytes, before)
        const text = browser.encodeBase64(host.subarray(before))
        expect(text).toBe(encodeBase64(bytes))
        expect(browser.decodeBase64(text)).toStrictEqual(bytes)
      }),
      { numRuns: runs(5_000) },
    )
  })

  it('handles more than one 32 KiB slice', async () => {
    const browser = await loadWithoutBuffer()
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff)
    const text = browser.encodeBase64(bytes)
    expect(text).toBe(Buffer.from(bytes).toString('base64'))
    expect(Buffer.from(browser.decodeBase64(text)).equals(bytes)).toBe(true)
  })
})
