// The ping-pong host shipped the way issue 13 describes: `nmrpc build --sea` (the built CLI, as an author
// runs it) makes one executable, the executable registers itself with its own --install in the run's
// Chromium profile or HOME, and the example extension, as its build script makes it, calls it from a real
// Chromium and a real Firefox: a typed call whose Date arrives as a Date, and a stream. --uninstall then
// takes the registration away. The executable is built once for the file (~100 MB, tens of seconds).
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForExtension } from './harness/buildExtension'
import { type ChromiumUnderTest, chromiumProfileDir, launchChromium } from './harness/chromium'
import { launchFirefox } from './harness/firefox'
import { processesOf } from './harness/processes'
import { createRunDir, type RunDir } from './harness/runDir'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(repoRoot, 'dist', 'cli', 'main.js')
const buildScript = join(repoRoot, 'examples/ping-pong/build.mjs')
const hostEntry = join(repoRoot, 'examples/ping-pong/host/host.ts')
const driver = fileURLToPath(new URL('./extension/exampleDriver.ts', import.meta.url))
const hostName = 'com.nmrpc.pingpong'
const chromiumId = 'mcmpfjeaigbkgpbpiklnaikfdgcjniph'
const geckoId = 'ping-pong@examples.nmrpc'

const work = mkdtempSync(join(tmpdir(), 'nmrpc-e2e-sea-'))
const exe = join(work, 'dist', hostName)
const example = join(work, 'example')

interface Run {
  status: number
  stdout: string
  stderr: string
}

/** Runs the executable as a person would from a terminal, with the run's HOME; killed after 60 s. */
function sea(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(exe, args, { env, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr }),
    )
  })
}

beforeAll(() => {
  execFileSync(
    process.execPath,
    [
      cli,
      'build',
      hostEntry,
      '--name',
      hostName,
      '--extension-id',
      chromiumId,
      '--extension-id',
      geckoId,
      '--sea',
    ],
    { cwd: work, stdio: 'pipe', timeout: 600_000 },
  )
  execFileSync(process.execPath, [buildScript, '--out', example], { stdio: 'pipe', timeout: 120_000 })
}, 660_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the SEA registered by its own --install, in chromium', () => {
  let run: RunDir
  let browser: ChromiumUnderTest
  let installed: Run
  let manifestFile = ''

  beforeAll(async () => {
    run = createRunDir('sea-chromium')
    const profile = chromiumProfileDir(run)
    manifestFile = join(profile, 'NativeMessagingHosts', `${hostName}.json`)
    installed = await sea(['--install', '--user-data-dir', profile], run.env)
    browser = await launchChromium({
      run,
      extensionDir: join(example, 'chromium'),
      extensionId: chromiumId,
      hosts: [],
    })
  })
  afterAll(async () => {
    await browser?.close()
    if (run) {
      expect(processesOf(run.root)).toEqual([])
      run.remove()
    }
  })

  it('--install wrote the manifest into the profile, naming the executable itself', () => {
    expect(installed.stderr).toBe('')
    expect(installed.status).toBe(0)
    expect(installed.stdout).toContain(`written   manifest ${manifestFile}`)
    expect(JSON.parse(readFileSync(manifestFile, 'utf8'))).toMatchObject({
      name: hostName,
      path: exe,
      allowed_origins: [`chrome-extension://${chromiumId}/`],
    })
  })

  it('answers a typed call and a stream in the popup', async () => {
    const page = await browser.context.newPage()
    await page.goto(`chrome-extension://${chromiumId}/popup.html`)
    const out = page.locator('#out')
    await page.click('#ping')
    await expect.poll(() => out.textContent(), { timeout: 30_000 }).toBe('pong')
    await page.click('#greet')
    // The Node inside the executable answers (the version that built it), and the popup shows the Date.
    const version = process.version.replaceAll('.', '\\.')
    await expect
      .poll(() => out.textContent(), { timeout: 20_000 })
      .toMatch(new RegExp(`^Hello, popup, from Node ${version} \\(at .+\\)$`))
    await page.click('#countdown')
    await expect.poll(() => out.textContent(), { timeout: 20_000 }).toBe('5 … 4 … 3 … 2 … 1 … 0 … liftoff!')
    await page.close()
  })

  it('--doctor for that profile finds nothing wrong; --uninstall removes the manifest', async () => {
    const doctor = await sea(['--doctor', '--user-data-dir', chromiumProfileDir(run)], run.env)
    expect(doctor.stdout).toContain('All good.')
    expect(doctor.status).toBe(0)
    const removed = await sea(['--uninstall'], run.env)
    expect(removed.status).toBe(0)
    expect(removed.stdout).toContain(`removed  file     ${manifestFile}`)
    expect(existsSync(manifestFile)).toBe(false)
  })
})

describe('the SEA registered by its own --install, in firefox', () => {
  let run: RunDir
  let browser: Awaited<ReturnType<typeof launchFirefox>>
  let installed: Run
  let manifestFile = ''

  beforeAll(async () => {
    run = createRunDir('sea-firefox')
    manifestFile = join(run.home, '.mozilla', 'native-messaging-hosts', `${hostName}.json`)
    installed = await sea(['--install', '--browser', 'firefox'], run.env)
    // The example's Firefox build, plus a driver next to its background (Firefox has no remote protocol).
    const ext = run.dir('sea-firefox-ext')
    cpSync(join(example, 'firefox'), ext, { recursive: true })
    await bundleForExtension(driver, join(ext, 'e2e-driver.js'), {
      __E2E_CONTROL_HOST__: '"nmrpc.e2e.control"',
    })
    const manifestPath = join(ext, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    manifest.background.scripts.push('e2e-driver.js')
    writeFileSync(manifestPath, JSON.stringify(manifest))
    browser = await launchFirefox({ run, extensionDir: ext, geckoId, hosts: [] })
  })
  afterAll(async () => {
    await browser?.close()
    if (run) {
      expect(processesOf(run.root)).toEqual([])
      run.remove()
    }
  })

  it('--install wrote the manifest under HOME, naming the executable itself', () => {
    expect(installed.stderr).toBe('')
    expect(installed.status).toBe(0)
    expect(installed.stdout).toContain(`written   manifest ${manifestFile}`)
    expect(JSON.parse(readFileSync(manifestFile, 'utf8'))).toMatchObject({
      name: hostName,
      path: exe,
      allowed_extensions: [geckoId],
    })
  })

  it('makes a typed call whose Date arrives as a Date', async () => {
    expect(await browser.run('exampleGreet', 'firefox')).toEqual({
      text: `Hello, firefox, from Node ${process.version}`,
      atIsDate: true,
    })
  })

  it('streams a countdown', async () => {
    expect(await browser.run('exampleCountdown', 3)).toEqual([3, 2, 1, 0])
  })

  it('--uninstall removes the manifest it wrote and nothing else', async () => {
    const removed = await sea(['--uninstall'], run.env)
    expect(removed.status).toBe(0)
    expect(existsSync(manifestFile)).toBe(false)
    // The harness's own control host, registered in the same folder, is not the SEA's to remove.
    expect(existsSync(join(run.home, '.mozilla', 'native-messaging-hosts', 'nmrpc.e2e.control.json'))).toBe(
      true,
    )
  })
})
