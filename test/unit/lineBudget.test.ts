import { describe, expect, it } from 'vitest'
import { LOG_BURST, LOG_PER_SECOND } from '../../src/shared/limits.js'
import { lineBudget } from '../../src/shared/lineBudget.js'

/** The lines printed, and how many each "not printed" line says were held back. */
function printer() {
  const lines: string[] = []
  const held = () =>
    lines.reduce(
      (n, l) => n + Number(/^nmrpc: (\d+) more diagnostic lines were not printed/.exec(l)?.[1] ?? 0),
      0,
    )
  return { lines, held, log: (l: string) => void lines.push(l) }
}

describe('lineBudget', () => {
  it('passes a burst, then counts what it holds back and says so with the next line and at flush', () => {
    let now = 0
    const p = printer()
    const budget = lineBudget(p.log, () => now)
    for (let i = 0; i < 3 * LOG_BURST; i++) budget.line(`bad ${i}`)
    expect(p.lines).toHaveLength(LOG_BURST)
    expect(p.lines.at(-1)).toBe(`bad ${LOG_BURST - 1}`)
    // A second later, LOG_PER_SECOND lines pass, the count of those held first among them.
    now = 1000
    const before = p.lines.length
    budget.line('later')
    expect(p.lines.slice(-2)).toEqual([
      expect.stringMatching(new RegExp(`^nmrpc: ${2 * LOG_BURST} more diagnostic lines were not printed`)),
      'later',
    ])
    for (let i = 0; i < 2 * LOG_PER_SECOND; i++) budget.line(`again ${i}`)
    expect(p.lines.length - before).toBe(LOG_PER_SECOND)
    budget.flush()
    budget.flush()
    const passed = p.lines.filter((l) => !l.includes('were not printed')).length
    expect(passed).toBe(LOG_BURST + LOG_PER_SECOND - 1)
    // Every line is either printed or counted, once.
    expect(passed + p.held()).toBe(3 * LOG_BURST + 1 + 2 * LOG_PER_SECOND)
  })

  it('refills at LOG_PER_SECOND up to the burst, never beyond', () => {
    let now = 0
    const p = printer()
    const budget = lineBudget(p.log, () => now)
    now = 3_600_000 // an hour of silence refills no more than one burst
    for (let i = 0; i < 2 * LOG_BURST; i++) budget.line(`x ${i}`)
    expect(p.lines).toHaveLength(LOG_BURST)
    now += 500
    for (let i = 0; i < LOG_PER_SECOND; i++) budget.line(`y ${i}`)
    // Half a second: half of LOG_PER_SECOND lines, the count of those held back one of them.
    expect(p.lines.length).toBe(LOG_BURST + LOG_PER_SECOND / 2)
    expect(p.lines.filter((l) => l.startsWith('y ')).length).toBe(LOG_PER_SECOND / 2 - 1)
  })

  it('prints nothing extra when nothing was held back', () => {
    const p = printer()
    const budget = lineBudget(p.log)
    budget.line('one')
    budget.flush()
    expect(p.lines).toEqual(['one'])
  })
})
