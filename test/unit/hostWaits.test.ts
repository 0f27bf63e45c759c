// withDeadline (src/server/hostWaits.ts): the bounded waits of a host's close. One that is over already sets
// no timer (a built host's start then never loads node's timers for it); one that is not still ends by `ms`.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { withDeadline } from '../../src/server/hostWaits.js'

afterEach(() => vi.restoreAllMocks())

describe('withDeadline', () => {
  it('sets no timer for a wait that is over already', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    await withDeadline(Promise.resolve('flushed'), 1_000)
    expect(timers).not.toHaveBeenCalled()
  })

  it('ends a wait that never settles by its deadline, and leaves no timer behind', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const clears = vi.spyOn(globalThis, 'clearTimeout')
    await withDeadline(new Promise(() => {}), 20)
    expect(timers).toHaveBeenCalledTimes(1)
    expect(clears).toHaveBeenCalledWith(timers.mock.results[0]!.value)
  })

  it('waits for a promise that settles later, and passes its rejection on', async () => {
    let resolve!: () => void
    const later = new Promise<void>((r) => {
      resolve = r
    })
    let over = false
    const waiting = withDeadline(later, 60_000).then(() => {
      over = true
    })
    await new Promise((r) => setImmediate(r))
    expect(over).toBe(false)
    resolve()
    await waiting
    expect(over).toBe(true)
    await expect(withDeadline(Promise.reject(new Error('gone')), 1_000)).rejects.toThrow('gone')
  })
})
