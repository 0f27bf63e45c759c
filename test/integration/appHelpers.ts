import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ClientOptions, createClient } from '../../src/client/index.js'
import { type ChildPort, type SpawnHostOptions, spawnHost } from '../../src/node/index.js'
import type { App } from '../fixtures/app.js'

export const APP_FIXTURE = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url))
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
export const APP_NAME = 'com.nmrpc.apptest'

/**
 * One app-mode world: its own XDG_RUNTIME_DIR (so parallel runs never share an endpoint), the apps it
 * started, and clients that reach them through real `nmrpc relay` processes.
 */
export function appWorld() {
  const root = mkdtempSync(join(tmpdir(), 'nmrpc-app-'))
  const xdg = join(root, 'run')
  const marksFile = join(root, 'marks')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_RUNTIME_DIR: xdg,
    NMRPC_APP_NAME: APP_NAME,
    NMRPC_MARKS: marksFile,
  }
  const procs: ChildProcess[] = []
  const clients: Array<{ close(): void }> = []

  /** Starts the fixture app; resolves with its first line ("ready <endpoint>" or "failed <why>"). */
  const startApp = async (extra: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', APP_FIXTURE], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    procs.push(child)
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s
        const nl = out.indexOf('\n')
        if (nl >= 0) resolve(out.slice(0, nl))
      })
      child.once('exit', (code) =>
        reject(new Error(`app exited with ${code} before a line; stderr: ${stderr}`)),
      )
    })
    return { child, line, stderr: () => stderr }
  }

  /** A client whose Port is a relay started exactly as a browser starts it (relay args, then browser args). */
  const relayClient = (
    spawnOpts: SpawnHostOptions = {},
    relayArgs: string[] = [],
    client: ClientOptions = {},
  ) => {
    const ports: ChildPort[] = []
    const factory = spawnHost(
      process.execPath,
      ['--import', 'tsx', CLI_MAIN, 'relay', APP_NAME, ...relayArgs],
      {
        env,
        stderr: 'pipe',
        hostName: 'nmrpc relay',
        ...spawnOpts,
      },
    )
    const wrapped = Object.assign(
      () => {
        const port = factory() as ChildPort
        ports.push(port)
        return port
      },
      { hostName: factory.hostName },
    )
    const c = createClient<App>(wrapped, client)
    clients.push(c)
    return { client: c, ports }
  }

  return {
    root,
    xdg,
    env,
    endpoint: join(xdg, 'nmrpc', `${APP_NAME}.sock`),
    startApp,
    relayClient,
    /** Lines the apps wrote to the marks file. */
    marks(): string[] {
      try {
        return readFileSync(marksFile, 'utf8').split('\n').filter(Boolean)
      } catch {
        return []
      }
    },
    dispose() {
      for (const c of clients) c.close()
      for (const p of procs) p.kill('SIGKILL')
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** Chromium origins of made-up extensions (32 letters a-p). */
export const origin = (letter: string) => `chrome-extension://${letter.repeat(32)}/`
