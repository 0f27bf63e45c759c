// Invariant 6: the host exits promptly (well under 2 s) when stdin closes, after flushing what it owes, even
// with a timer of its own still running; what follows `await host.listen()` runs first.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client/index.js'
import { spawnHost } from '../../src/node/index.js'
import { eventually, isAlive } from './helpers.js'

const TIMER_HOST = fileURLToPath(new URL('../fixtures/timerHost.ts', import.meta.url))
let dispose: (() => void) | undefined
afterEach(() => dispose?.())

describe('a host whose own timer keeps its event loop alive', () => {
  it('exits 0 once stdin closes, after the code that follows await host.listen()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmrpc-exit-'))
    const marksFile = join(dir, 'marks')
    const children: import('node:child_process').ChildProcess[] = []
    const factory = spawnHost('node', ['--import', 'tsx', TIMER_HOST], {
      stderr: 'pipe',
      env: { ...process.env, NMRPC_MARKS: marksFile },
      onSpawn: (child) => void children.push(child),
    })
    const client = createClient<{ ping(): string }>(factory)
    dispose = () => {
      client.close()
      for (const c of children) c.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
    expect(await client.call.ping()).toBe('pong')
    const child = children[0]!
    client.close()
    await eventually(() => child.exitCode !== null, 'the host to exit after stdin closed', 2_000)
    expect(child.exitCode).toBe(0)
    expect(isAlive(child.pid!)).toBe(false)
    expect(readFileSync(marksFile, 'utf8').split('\n').filter(Boolean)).toEqual([
      'after listen',
      'after an await of a settled promise',
    ])
  })
})
