import { afterEach, describe, expect, it } from 'vitest'
import type { RpcError } from '../../src/client/index.js'
import { eventually, startFixture } from './helpers.js'

let fixture: ReturnType<typeof startFixture>
afterEach(() => fixture?.dispose())

const MiB = 1024 * 1024

describe('streams over a real child process', () => {
  it('delivers 10,000 items in order', async () => {
    fixture = startFixture()
    let expected = 0
    for await (const i of fixture.client.call.count(10_000)) {
      expect(i).toBe(expected++)
    }
    expect(expected).toBe(10_000)
    await eventually(() => fixture.marks().includes('count finally n=10000'), 'the generator to finish')
  })

  it("stops the producer when the consumer breaks: the host generator's finally runs", async () => {
    fixture = startFixture()
    const seen: number[] = []
    for await (const i of fixture.client.call.count(1_000_000, 1)) {
      seen.push(i)
      if (seen.length === 3) break
    }
    expect(seen).toEqual([0, 1, 2])
    await eventually(
      () => fixture.marks().includes('count finally n=1000000'),
      "the host generator's finally",
    )
    expect(await fixture.client.call.ping()).toBe('pong')
  })

  it('stops the producer when the consumer aborts', async () => {
    fixture = startFixture()
    const ac = new AbortController()
    const seen: number[] = []
    const consume = (async () => {
      for await (const i of fixture.client.with({ signal: ac.signal }).call.count(1_000_000, 1)) {
        seen.push(i)
        if (seen.length === 5) ac.abort()
      }
    })()
    await expect(consume).rejects.toMatchObject({ code: 'ABORTED' })
    await eventually(
      () => fixture.marks().includes('count finally n=1000000'),
      "the host generator's finally",
    )
  })

  it('delivers the items before an error, then the error as RpcError', async () => {
    fixture = startFixture()
    const seen: number[] = []
    const err = await (async () => {
      for await (const i of fixture.client.call.failAfter(5)) seen.push(i)
    })().catch((e: unknown) => e as RpcError)
    expect(seen).toEqual([0, 1, 2, 3, 4])
    expect(err).toMatchObject({ name: 'TypeError', message: 'stopped after 5', code: 'HANDLER_ERROR' })
  })

  it('refuses to iterate a unary result, and awaiting a stream gives an iterable', async () => {
    fixture = startFixture()
    const notStream = fixture.client.call.ping() as unknown as AsyncIterable<string>
    await expect(
      (async () => {
        for await (const _ of notStream) {
        }
      })(),
    ).rejects.toMatchObject({ code: 'NOT_A_STREAM' })
    const iterable = (await (fixture.client.call.count(3) as unknown as Promise<
      AsyncIterable<number>
    >)) as AsyncIterable<number>
    const items: number[] = []
    for await (const i of iterable) items.push(i)
    expect(items).toEqual([0, 1, 2])
  })

  it('streams an AsyncIterable argument from the client to the handler', async () => {
    fixture = startFixture()
    async function* numbers() {
      for (let i = 1; i <= 1000; i++) yield i
    }
    expect(await fixture.client.call.sum(numbers())).toBe(500_500)
  })

  it('streams a ReadableStream argument too', async () => {
    fixture = startFixture()
    const rs = new ReadableStream<number>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(i)
        c.close()
      },
    })
    expect(await fixture.client.call.sum(rs as unknown as AsyncIterable<number>)).toBe(45)
  })

  it('keeps host memory bounded while a slow consumer reads 1 GiB of items', async () => {
    fixture = startFixture()
    const idle = await fixture.client.call.rss()
    let bytes = 0
    let peak = idle
    let n = 0
    for await (const chunk of fixture.client.call.chunks(1024, MiB)) {
      bytes += chunk.length
      if (++n % 128 === 0) {
        // The consumer is slower than the producer: it stops to ask the host how big it has grown.
        peak = Math.max(peak, await fixture.client.call.rss())
      }
    }
    expect(bytes).toBe(1024 * MiB)
    // A producer that ran ahead without credit would hold hundreds of MiB; the window is 16 items of 1 MiB.
    expect(peak - idle).toBeLessThan(160 * MiB)
  })
})

describe('payloads of any size, under the browser limit per message', () => {
  it('returns a 20 MiB string with multi-byte characters, exactly', async () => {
    fixture = startFixture()
    const s = await fixture.client.call.text(20 * MiB)
    expect(s.length).toBe(Math.floor((20 * MiB) / 4) + 4 * Math.floor((20 * MiB) / 16))
    expect(s.startsWith('éé')).toBe(true)
    expect(s.endsWith('a€😀')).toBe(true)
    expect(s).toBe('é'.repeat(Math.floor((20 * MiB) / 4)) + 'a€😀'.repeat(Math.floor((20 * MiB) / 16)))
  })

  it('returns a 100 MiB Uint8Array byte-exact', async () => {
    fixture = startFixture()
    const n = 100 * MiB
    const bytes = await fixture.client.call.bytes(n)
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect(bytes.length).toBe(n)
    let bad = -1
    for (let i = 0; i < n; i++) {
      if (bytes[i] !== ((i * 31 + 7) & 0xff)) {
        bad = i
        break
      }
    }
    expect(bad).toBe(-1)
  })

  it('uploads 50 MiB from the client', async () => {
    fixture = startFixture()
    const n = 50 * MiB
    const data = new Uint8Array(n)
    let sum = 0
    for (let i = 0; i < n; i++) {
      data[i] = (i * 13) & 0xff
      sum = (sum + data[i]!) >>> 0
    }
    expect(await fixture.client.call.byteSum(data)).toEqual({ length: n, sum })
  })

  it('answers a small call while a large stream is flowing', async () => {
    fixture = startFixture()
    const it = fixture.client.call.chunks(256, 256 * 1024)[Symbol.asyncIterator]()
    await it.next() // the stream is running and has credit outstanding
    expect(await fixture.client.call.add(20, 22)).toBe(42)
    let rest = 1
    for (let r = await it.next(); !r.done; r = await it.next()) rest++
    expect(rest).toBe(256)
  })

  it('lets a small call through while a large binary upload is still being sent', async () => {
    fixture = startFixture()
    await fixture.client.connect()
    const order: string[] = []
    const data = new Uint8Array(32 * MiB).fill(3)
    const upload = fixture.client.call.byteSum(data).then((r) => {
      order.push('upload')
      return r
    })
    const small = fixture.client.call.add(1, 2).then((r) => {
      order.push('small')
      return r
    })
    expect(await Promise.all([upload, small])).toEqual([{ length: 32 * MiB, sum: (32 * MiB * 3) >>> 0 }, 3])
    // Binary slices go one per task, so the small call is not queued behind all 32 MiB of them.
    expect(order).toEqual(['small', 'upload'])
  })

  it('fails just the one call past the reassembly limit, and the session answers the next', async () => {
    fixture = startFixture({ client: { maxReassembledBytes: 4 * MiB } })
    const err = (await fixture.client.call.text(8 * MiB).catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe('TOO_LARGE')
    expect(err.message).toMatch(/^Call to "text" failed: a message from host "host.ts" grew past 4\.0 MiB/)
    expect(err.message).toMatch(/maxReassembledBytes/)
    expect(await fixture.client.call.add(1, 1)).toBe(2)
    expect(fixture.client.state).toBe('open')
  })

  it('refuses an upload past the host reassembly limit with TOO_LARGE, and goes on', async () => {
    fixture = startFixture({ env: { NMRPC_MAX_REASSEMBLED: String(2 * MiB) } })
    const err = (await fixture.client.call
      .byteSum(new Uint8Array(4 * MiB))
      .catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe('TOO_LARGE')
    expect(await fixture.client.call.add(1, 1)).toBe(2)
  })
})
