// `nmrpc install --user-data-dir` end to end: the built CLI registers a bundled nmrpc host in the
// profile of the Chromium the harness then starts, the extension's service worker calls it, `nmrpc
// doctor` checks the same profile, and after `nmrpc uninstall` the browser no longer finds the host.
// Every command runs with the run folder's HOME and XDG folders, so nothing reaches the real home.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ErrorReport } from './extension/rpcScenarios'
import { bundleHost } from './harness/bundleHost'
import { haveBrowser } from './harness/findBrowsers'
import { type E2eSession, type LaunchSetup, openBrowser } from './harness/openBrowser'
import { processesOf } from './harness/processes'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(repoRoot, 'dist', 'cli', 'main.js')
const rpcHost = fileURLToPath(new URL('./fixtures/rpcHost.ts', import.meta.url))
const hostName = 'com.nmrpc.e2e.installed'
// Skipped, and counted so, where Chromium is not found.
const describeChromium = describe.skipIf(!haveBrowser('chromium'))

interface CliResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the built `nmrpc` command with the run's environment and resolves with its exit status and
 * output, whatever the status (a failing doctor is a result to assert on, not an exception).
 * Killed after 60 s, so a hung command fails the test instead of outliving it.
 */
function nmrpc(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** `text` as a RegExp source that matches it literally (paths carry dots). */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describeChromium('a host registered by `nmrpc install --user-data-dir`, answering Chromium', () => {
  let session: E2eSession
  let setup: LaunchSetup
  let hostFile = ''
  let installDir = ''
  let manifestFile = ''
  let installed: CliResult
  let reinstalled: CliResult

  const installArgs = (): string[] => [
    'install',
    '--name',
    hostName,
    '--host',
    hostFile,
    '--extension-id',
    setup.extensionId,
    '--user-data-dir',
    setup.userDataDir ?? '',
    '--dir',
    installDir,
  ]

  beforeAll(async () => {
    session = await openBrowser('chromium', {
      hosts: [],
      // Registered before the browser starts, the way a user installs a host and then opens the browser.
      beforeLaunch: async (s) => {
        setup = s
        if (s.userDataDir === undefined) throw new Error('Chromium run without a user-data-dir')
        hostFile = join(s.run.dir('hosts'), 'rpcHost.mjs')
        await bundleHost(rpcHost, hostFile)
        installDir = join(s.run.root, 'nmrpc-install')
        manifestFile = join(s.hostManifestDir, `${hostName}.json`)
        installed = await nmrpc(installArgs(), s.run.env)
        reinstalled = await nmrpc(installArgs(), s.run.env)
      },
    })
  })
  afterAll(async () => {
    const root = session?.run.root
    await session?.close()
    if (root) expect(processesOf(root)).toEqual([])
  })

  it('install writes a launcher and the manifest in <user-data-dir>/NativeMessagingHosts, and says so', () => {
    expect(installed.stderr).toBe('')
    expect(installed.status).toBe(0)
    const launcher = join(installDir, 'launcher.sh')
    expect(installed.stdout).toContain(`Installed ${hostName} for user-data-dir (user scope):`)
    expect(installed.stdout).toMatch(new RegExp(`written +launcher ${literal(launcher)}\\n`))
    expect(installed.stdout).toMatch(
      new RegExp(`written +manifest ${literal(manifestFile)} +\\(user-data-dir\\)\\n`),
    )

    const manifest: unknown = JSON.parse(readFileSync(manifestFile, 'utf8'))
    expect(manifest).toMatchObject({
      name: hostName,
      path: launcher,
      type: 'stdio',
      allowed_origins: [`chrome-extension://${setup.extensionId}/`],
    })
    const script = readFileSync(launcher, 'utf8')
    expect(script).toContain(`exec '${process.execPath}' '${hostFile}' "$@"`)
  })

  it('install again changes nothing and says so', () => {
    expect(reinstalled.status).toBe(0)
    expect(reinstalled.stdout).toMatch(/unchanged +launcher /)
    expect(reinstalled.stdout).toMatch(/unchanged +manifest /)
    expect(reinstalled.stdout).not.toMatch(/written/)
  })

  it('wrote nothing to the real home', () => {
    expect(existsSync(join(homedir(), '.local', 'share', 'nmrpc', hostName))).toBe(false)
    expect(
      existsSync(join(homedir(), '.config', 'chromium', 'NativeMessagingHosts', `${hostName}.json`)),
    ).toBe(false)
  })

  it('the service worker reaches the installed host: hello, a typed call with Dates, a stream', async () => {
    const hello = await session.browser.run('rpcHello', hostName)
    expect(hello).toEqual({ protocol: 1, impl: expect.stringMatching(/^nmrpc\//), pong: 'pong' })
    expect(await session.browser.run('rpcUnary', hostName)).toEqual({
      sum: 42,
      sumType: 'number',
      hostSawDate: true,
      shiftedIsDate: true,
      shiftedIso: '2024-03-01T12:34:56.789Z',
    })
    expect(await session.browser.run('rpcStream', hostName, 500, 'installed')).toEqual({
      count: 500,
      inOrder: true,
    })
  })

  it("the launcher passes Chromium's arguments on: the host sees the extension as its caller", async () => {
    const { caller } = await session.browser.run<{ caller: unknown }>('rpcCaller', hostName)
    expect(JSON.stringify(caller)).toContain(`chrome-extension://${setup.extensionId}/`)
  })

  it('doctor --user-data-dir finds the manifest, starts the host and finds nothing wrong', async () => {
    const r = await nmrpc(
      [
        'doctor',
        '--name',
        hostName,
        '--user-data-dir',
        setup.userDataDir ?? '',
        '--extension-id',
        setup.extensionId,
      ],
      setup.run.env,
    )
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain(`Chromium profile ${setup.userDataDir} (user-data-dir): ${manifestFile}`)
    expect(r.stdout).toContain(`✓ Manifest ${manifestFile} is valid.`)
    expect(r.stdout).toMatch(/✓ Host answered the hello in \d+ ms \(nmrpc\/[^,]+, protocol 1\)\./)
    expect(r.stdout).not.toContain('✗')
    expect(r.stdout).toMatch(/All good\.\n$/)
    expect(r.status).toBe(0)
  })

  it('uninstall removes the manifest and the launcher; a new connect then fails with HOST_NOT_FOUND', async () => {
    const r = await nmrpc(['uninstall', '--name', hostName, '--dir', installDir], setup.run.env)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`Uninstalled ${hostName}:`)
    expect(r.stdout).toMatch(new RegExp(`removed +file +${literal(manifestFile)}\\n`))
    expect(existsSync(manifestFile)).toBe(false)
    expect(existsSync(join(installDir, 'launcher.sh'))).toBe(false)
    expect(existsSync(join(installDir, 'receipt.json'))).toBe(false)

    // Chromium reads host manifests at each connectNative, so the running browser sees the removal.
    const { failure } = await session.browser.run<{ failure: ErrorReport }>('rpcMissing', hostName)
    expect(failure).toMatchObject({ isRpcError: true, code: 'HOST_NOT_FOUND' })
    expect(failure.message).toContain(hostName)
    expect(failure.message).toContain('Specified native messaging host not found')
  })
})
