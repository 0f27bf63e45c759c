// Values that cannot cross (functions, symbols) are refused on the calling side before anything is sent,
// naming the argument and the path inside it; circular and shared values cross as results do. Over a
// real host process.
import { afterAll, describe, expect, it } from 'vitest'
import { RpcError } from '../../src/shared/errors.js'
import { startFaultClient } from './faultClient.js'

describe('what can cross in arguments', () => {
  const f = startFaultClient()
  afterAll(() => f.dispose())

  it('a function inside an argument: BAD_REQUEST naming argument and path, nothing sent', async () => {
    const p = f.client.call.echo({ when: new Date(0), opts: { onDone: () => {} } })
    await expect(p).rejects.toBeInstanceOf(RpcError)
    await expect(p).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(p).rejects.toThrow(
      /^Argument 0 of "echo" cannot be sent: its \.opts\.onDone is a function, which cannot cross to host/,
    )
    expect(f.marks()).toEqual([])
  })

  it('a symbol in a Map, and a function as a whole argument', async () => {
    await expect(f.client.call.echo(new Map([['k', Symbol('s')]]))).rejects.toThrow(
      /Argument 0 of "echo" cannot be sent: its \.<value 0> is a symbol/,
    )
    await expect(f.client.call.add(1, (() => 2) as unknown as number)).rejects.toThrow(
      /Argument 1 of "add" cannot be sent: it is a function/,
    )
  })

  it('a circular argument crosses, circular, as a result does', async () => {
    const a: Record<string, unknown> = { name: 'a', at: new Date(5) }
    a.self = a
    const back = (await f.client.call.echo(a)) as Record<string, unknown>
    expect(back.self).toBe(back)
    expect(back.at).toEqual(new Date(5))
  })

  it('a value sharing one object 40 levels deep crosses in both directions, still shared', async () => {
    let node: Record<string, unknown> = { end: true }
    for (let i = 0; i < 40; i++) node = { l: node, r: node }
    const back = (await f.client.call.echo(node)) as Record<string, unknown>
    expect(back.l).toBe(back.r)
  })
})
