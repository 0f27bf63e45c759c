import { afterEach, describe, expect, it } from 'vitest'
import { FIREFOX_PIECE_BYTES } from '../../src/server/launchContext.js'
import { jsonCodec } from '../../src/shared/codec.js'
import { PIECE_BYTES } from '../../src/shared/outbox.js'
import { startFixture } from './helpers.js'

/** Large strings cross real pipes as `str` parts both ways (the fixture's `echo` sends its argument back). */
describe('large strings over real processes', () => {
  let fixture: ReturnType<typeof startFixture> | undefined
  afterEach(() => fixture?.dispose())

  /** Text with every JSON escape class, a lone surrogate and a pair, repeated to `units` UTF-16 units. */
  const text = (units: number) => {
    const motif = 'plain "quoted" back\\slash\n\t\u0000\u001f é € \ud83d\ude00 lone \ud800 end '
    return motif.repeat(Math.ceil(units / motif.length)).slice(0, units - 1) + 'Z'
  }

  it('cuts its pieces to suit the browser that launched it: 64 KiB for Chromium, 256 KiB for Firefox', async () => {
    const launches = [
      [{ origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/' }, PIECE_BYTES],
      [
        { browser: 'firefox', manifestPath: '/tmp/x/com.acme.json', extensionId: 'ping@example.org' },
        FIREFOX_PIECE_BYTES,
      ],
    ] as const
    for (const [spawn, size] of launches) {
      fixture?.dispose()
      fixture = startFixture({ spawn })
      await fixture.client.connect()
      const pieces: number[] = []
      fixture.ports[0]!.onMessage.addListener((m) => {
        for (const e of Array.isArray(m) ? m : [m]) {
          const d = (e as { t?: unknown; d?: unknown }).d
          if ((e as { t?: unknown }).t === 'str' && typeof d === 'string') pieces.push(d.length)
        }
      })
      const s = 'x'.repeat(2 << 20)
      expect(await fixture.client.call.echo(s)).toBe(s)
      // ASCII: a piece's units are its bytes, within the piece size less its envelope's head.
      expect(Math.max(...pieces)).toBeLessThanOrEqual(size)
      expect(Math.max(...pieces)).toBeGreaterThan(size - 256)
      expect(pieces.reduce((a, b) => a + b, 0)).toBe(2 << 20)
    }
  })

  for (const [name, codec] of [
    ['superjson (default)', undefined],
    ['jsonCodec()', jsonCodec()],
  ] as const)
    it(`echoes 1 MiB and 10 MiB strings nested in arguments and results, with ${name}`, async () => {
      fixture = startFixture({ client: codec ? { codec } : {} })
      const { client } = fixture
      await client.connect()
      // What the host really sent: its large strings as str pieces, never a chunked envelope.
      const kinds = new Set<unknown>()
      fixture.ports[0]!.onMessage.addListener((m) => {
        for (const e of Array.isArray(m) ? m : [m]) kinds.add((e as { t?: unknown }).t)
      })
      for (const units of [1 << 20, 10 << 20]) {
        const s = text(units)
        const value = { label: 'x', parts: [s, { inner: s.slice(3) }], n: units }
        const back = await client.call.echo(value)
        expect(back).toEqual(value)
      }
      // A bare string result too, and small calls still work after (the session is sound).
      const bare = text(1 << 20)
      expect(await client.call.echo(bare)).toBe(bare)
      expect(await client.call.add(2, 3)).toBe(5)
      expect(kinds.has('str')).toBe(true)
      expect(kinds.has('chunk')).toBe(false)
    }, 180_000)

  it('echoes a 100 MiB string (within the default limits)', async () => {
    fixture = startFixture()
    const s = 'a'.repeat(100 << 20)
    const back = (await fixture.client.call.echo(s)) as string
    expect(back.length).toBe(s.length)
    expect(back === s).toBe(true)
  }, 300_000)

  it('refuses a string over maxReassembledBytes with TOO_LARGE, and the session goes on', async () => {
    fixture = startFixture({ env: { NMRPC_MAX_REASSEMBLED: String(4 << 20) } })
    await expect(fixture.client.call.echo('b'.repeat(5 << 20))).rejects.toThrow(
      /TOO_LARGE|grew past|maxReassembledBytes/,
    )
    expect(await fixture.client.call.add(1, 1)).toBe(2)
  }, 120_000)
})
