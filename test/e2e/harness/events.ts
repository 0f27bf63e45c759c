import { readFileSync } from 'node:fs'

/** The lines a host appended to its events file so far (none if it wrote nothing yet). */
export function readEvents(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/**
 * Waits until the host wrote `line` to its events file, or `ms` passes; returns every line seen, so
 * a test asserts on the content (`toContain`) rather than on how long it took.
 *
 * @example
 * expect(await waitForEvent(events, 'count finally break', 5_000)).toContain('count finally break')
 */
export async function waitForEvent(file: string, line: string, ms: number): Promise<string[]> {
  const until = Date.now() + ms
  let lines = readEvents(file)
  while (!lines.includes(line) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50))
    lines = readEvents(file)
  }
  return lines
}
