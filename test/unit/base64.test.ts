import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64, decodeBase64Exact, encodeBase64 } from '../../src/shared/base64.js'
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

describe('decodeBase64Exact', () => {
  const CANONICAL = /^[A-Za-z0-9+/]*={0,2}$/
  // Valid text with now and then a character from outside the alphabet, a space or a misplaced '='.
  const text = fc
    .tuple(
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(80), fc.constantFrom('-', '_', ' ', '=', '\n', 'é', '\u20ac', '*', 'A')), {
        maxLength: 2,
      }),
    )
    .map(([bytes, edits]) => {
      let t = Buffer.from(bytes).toString('base64')
      for (const [at, c] of edits) {
        const i = Math.min(at, t.length)
        t = at % 2 === 0 ? t.slice(0, i) + c + t.slice(i + 1) : t.slice(0, i) + c + t.slice(i)
      }
      return t
    })

  it('takes exactly the texts the protocol allows, and decodes them as Node does (property)', async () => {
    const browser = await loadWithoutBufferExact()
    fc.assert(
      fc.property(text, (t) => {
        const valid = t.length % 4 === 0 && CANONICAL.test(t)
        for (const decode of [decodeBase64Exact, browser]) {
          const got = decode(t)
          if (valid) expect(got).toStrictEqual(new Uint8Array(Buffer.from(t, 'base64')))
          else expect(got).toBeUndefined()
        }
      }),
      { numRuns: runs(10_000) },
    )
  })

  async function loadWithoutBufferExact() {
    const { vi } = await import('vitest')
    vi.resetModules()
    const saved = globalThis.Buffer
    Reflect.deleteProperty(globalThis, 'Buffer')
    try {
      return (await import('../../src/shared/base64.js')).decodeBase64Exact
    } finally {
      globalThis.Buffer = saved
    }
  }
})
