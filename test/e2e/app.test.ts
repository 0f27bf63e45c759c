// App mode end to end: an app started before the browser (host.serve), registered with
// `nmrpc install --app`; the real browser starts the built `nmrpc relay`, which reaches the app.
// After the browser exits, the app is still running and still serves.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/client/index.js'
import { spawnHost } from '../../src/node/index.js'
import type { App } from '../fixtures/app.js'
import { type E2eSession, type LaunchSetup, openBrowser } from './harness/openBrowser'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(repoRoot, 'dist', 'cli', 'main.js')
const appFixture = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url))
const appName = 'com.nmrpc.e2e.app'

function run(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      killSignal: 'SIGKILL',
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, out }))
  })
}

describe.each(['chromium', 'firefox'] as const)('an app served to %s through nmrpc relay', (browserName) => {
  let session: E2eSession
  let setup: LaunchSetup
  let app: ChildProcess
  let env: Record<string, string>
  let installed: { status: number | null; out: string }
  let xdg = ''

  beforeAll(async () => {
    session = await openBrowser(browserName, {
      hosts: [],
      beforeLaunch: async (s) => {
        setup = s
        // The browser inherits this environment, so its relays look where the app listens. The folder is
        // outside the run folder, and the app gets none of the run's environment: the harness kills every
        // process that mentions the run folder when the browser closes, and this app must outlive it.
        xdg = mkdtempSync(join(tmpdir(), 'nmrpc-e2e-app-'))
        s.run.env.XDG_RUNTIME_DIR = xdg
        env = s.run.env
        app = spawn(process.execPath, ['--import', 'tsx', appFixture], {
          cwd: repoRoot,
          env: { ...process.env, XDG_RUNTIME_DIR: xdg, NMRPC_APP_NAME: appName },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        await new Promise<void>((resolve, reject) => {
          app
            .stdout!.setEncoding('utf8')
            .once('data', (line: string) =>
              line.startsWith('ready ') ? resolve() : reject(new Error(`app did not start: ${line}`)),
            )
          app.once('exit', (code) => reject(new Error(`app exited with ${code}`)))
        })
        const where =
          browserName === 'chromium' ? ['--user-data-dir', s.userDataDir ?? ''] : ['--browser', 'firefox']
        installed = await run(
          [
            'install',
            '--app',
            '--name',
            appName,
            '--extension-id',
            s.extensionId,
            ...where,
            '--dir',
            join(s.run.root, 'nmrpc-install'),
          ],
          env,
        )
      },
    })
  })
  afterAll(async () => {
    app?.kill('SIGKILL')
    await session?.close()
    if (xdg) rmSync(xdg, { recursive: true, force: true })
  })

  it('install --app writes a launcher that runs the relay', () => {
    expect(installed.out).toContain(`Installed ${appName}`)
    expect(installed.status).toBe(0)
    const launcher = readFileSync(join(setup.run.root, 'nmrpc-install', 'launcher.sh'), 'utf8')
    expect(launcher).toContain(`exec '${process.execPath}' '${cli}' 'relay' '${appName}' '--' "$@"`)
  })

  it('the extension calls the running app, which sees the extension as its caller', async () => {
    const hello = await session.browser.run('rpcHello', appName)
    expect(hello).toEqual({ protocol: 1, impl: expect.stringMatching(/^nmrpc\//), pong: 'pong' })
    const { caller } = await session.browser.run<{ caller: unknown }>('rpcCaller', appName)
    expect(JSON.stringify(caller)).toContain(
      browserName === 'chromium' ? `chrome-extension://${setup.extensionId}/` : setup.extensionId,
    )
  })

  it('doctor knows app mode: the relay starts and the app answers at its endpoint', async () => {
    const where =
      browserName === 'chromium'
        ? ['--user-data-dir', setup.userDataDir ?? '', '--browser', 'chromium']
        : ['--browser', 'firefox']
    const r = await run(['doctor', '--name', appName, '--extension-id', setup.extensionId, ...where], env)
    expect(r.out).toContain(`App mode: the launcher runs "nmrpc relay ${appName}"`)
    expect(r.out).toContain(`✓ The app is running: ${xdg}/nmrpc/${appName}.sock answers.`)
    expect(r.out).toMatch(/✓ Host answered the hello in \d+ ms/)
  })

  it('the app keeps running after the browser exits, and serves the next relay', async () => {
    await session.browser.close()
    expect(app.exitCode).toBe(null)
    const client = createClient<App>(
      spawnHost(process.execPath, [cli, 'relay', appName], { env, stderr: 'pipe', hostName: 'nmrpc relay' }),
    )
    try {
      expect(await client.call.pid()).toBe(app.pid)
      expect(await client.call.connections()).toHaveLength(1)
    } finally {
      client.close()
    }
  })
})
