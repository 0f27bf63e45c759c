import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClientOptions, createClient } from '../../src/client/index.js'
import { type ChildPort, type SpawnHostOptions, spawnHost } from '../../src/node/index.js'
import type { FaultHost } from './fixtures/faultHost.js'
import { FAULT_HOST } from './rawHost.js'

/** The fault host behind a real client, through spawnHost (browser framing and rules). */
export function startFaultClient(
  options: {
    client?: ClientOptions
    spawn?: SpawnHostOptions
    nodeArgs?: string[]
    env?: NodeJS.ProcessEnv
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'nmrpc-faults-'))
  const marksFile = join(dir, 'marks')
  const children: ChildProcess[] = []
  const ports: ChildPort[] = []
  const factory = spawnHost(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', FAULT_HOST], {
    stderr: 'pipe',
    ...options.spawn,
    env: { ...process.env, NMRPC_MARKS: marksFile, ...options.env },
    onSpawn: (child) => {
      children.push(child)
    },
  })
  const wrapped = Object.assign(
    () => {
      const port = factory() as ChildPort
      ports.push(port)
      return port
    },
    { hostName: factory.hostName },
  )
  const client = createClient<FaultHost>(wrapped, { log: () => {}, ...options.client })
  return {
    client,
    children,
    ports,
    marks(): string[] {
      try {
        return readFileSync(marksFile, 'utf8').split('\n').filter(Boolean)
      } catch {
        return []
      }
    },
    /** Resolves when every host started so far has exited. */
    async allExited(): Promise<void> {
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? undefined
            : new Promise<void>((resolve) => c.once('exit', () => resolve())),
        ),
      )
    },
    dispose() {
      client.close()
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type FaultClient = ReturnType<typeof startFaultClient>
