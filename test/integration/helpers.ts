import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ClientOptions, createClient } from '../../src/client/index.js'
import { type SpawnHostOptions, spawnHost } from '../../src/node/index.js'
import type { Host } from '../fixtures/host.js'

export const FIXTURE_HOST = fileURLToPath(new URL('../fixtures/host.ts', import.meta.url))

/** A fixture host started as a real child process, with a file it writes marks into. */
export function startFixture(
  options: { client?: ClientOptions; spawn?: SpawnHostOptions; env?: NodeJS.ProcessEnv } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'nmrpc-test-'))
  const marksFile = join(dir, 'marks')
  const pids: number[] = []
  const ports: Array<import('../../src/node/index.js').ChildPort> = []
  const factory = spawnHost('node', ['--import', 'tsx', FIXTURE_HOST], {
    stderr: 'pipe',
    ...options.spawn,
    env: { ...process.env, NMRPC_MARKS: marksFile, ...options.env },
    onSpawn: (child) => {
      if (child.pid) pids.push(child.pid)
    },
  })
  const wrapped = Object.assign(
    () => {
      const port = factory()
      ports.push(port as import('../../src/node/index.js').ChildPort)
      return port
    },
    { hostName: factory.hostName },
  )
  const client = createClient<Host>(wrapped, options.client)
  return {
    client,
    pids,
    ports,
    marks: (): string[] => {
      try {
        return readFileSync(marksFile, 'utf8').split('\n').filter(Boolean)
      } catch {
        return []
      }
    },
    dispose() {
      client.close()
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls `check` until it returns true (bounded); for effects in another process, never for timing. */
export async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
