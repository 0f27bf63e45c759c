// docs/CLI.md states the format of `nmrpc call`'s error line; this runs the CLI against a real host and
// checks each documented example and the format itself against what it prints.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = path.join(ROOT, 'src/cli/main.ts')
const HOST = `node --import tsx ${path.join(ROOT, 'test/cli/fixtures/host.ts')}`
const home = mkdtempSync(path.join(tmpdir(), 'nmrpc-cli-format-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

const doc = readFileSync(path.join(ROOT, 'docs/CLI.md'), 'utf8').replace(/\s+/g, ' ')

function call(...args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, 'call', HOST, ...args],
      { cwd: ROOT, timeout: 60_000, env: { PATH: process.env.PATH, HOME: home, NODE_OPTIONS: '' } },
      (err, _out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, err: errOut }),
    )
  })
}

describe("docs/CLI.md's error format for nmrpc call", () => {
  // `nmrpc call <method>: <Name>: <message> [<CODE>]`, `<Name>: ` optional, as a regular expression.
  const format = /`nmrpc call <method>: <Name>: <message> \[<CODE>\]`/
  const line = /^nmrpc call (\S+): (?:([A-Za-z_$][\w$]*): )?(.+) \[([A-Z_]+)\]\n$/

  it('documents the format', () => {
    expect(doc).toMatch(format)
  })

  it.each([
    ['math.div', ['1', '0'], 'nmrpc call math.div: RangeError: b is 0 [HANDLER_ERROR]'],
    ['nope', [], 'nmrpc call nope: No method "nope" on '],
  ])('%s prints the documented line', async (method, args, documented) => {
    const r = await call(method, ...args)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(line)
    expect(r.err.startsWith(documented)).toBe(true)
    // The example is in the doc (the doc may shorten the message with "...").
    expect(doc).toContain(documented.replace(/ on $/, ''))
  })
})
