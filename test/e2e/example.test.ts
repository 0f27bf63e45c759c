// The ping-pong example, built by its own build script, loaded in both real browsers with the host
// manifests that build writes: what a newcomer following examples/ping-pong/README.md would get.
import { execFileSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForExtension } from './harness/buildExtension'
import { type ChromiumUnderTest, launchChromium } from './harness/chromium'
import { haveBrowser } from './harness/findBrowsers'
import { launchFirefox } from './harness/firefox'
import { processesOf } from './harness/processes'
import { createRunDir, type RunDir } from './harness/runDir'

const buildScript = fileURLToPath(new URL('../../examples/ping-pong/build.mjs', import.meta.url))
const driver = fileURLToPath(new URL('./extension/exampleDriver.ts', import.meta.url))
const chromiumId = 'mcmpfjeaigbkgpbpiklnaikfdgcjniph'
const geckoId = 'ping-pong@examples.nmrpc'

function buildExample(run: RunDir): string {
  const out = run.dir('example-build')
  execFileSync(process.execPath, [buildScript, '--out', out], { stdio: 'pipe', timeout: 120_000 })
  return out
}

describe.skipIf(!haveBrowser('chromium'))('ping-pong example in chromium', () => {
  let run: RunDir
  let browser: ChromiumUnderTest

  beforeAll(async () => {
    run = createRunDir('example-chromium')
    const out = buildExample(run)
    const manifest = JSON.parse(readFileSync(join(out, 'host', 'com.nmrpc.pingpong.chromium.json'), 'utf8'))
    expect(manifest.allowed_origins).toEqual([`chrome-extension://${chromiumId}/`])
    browser = await launchChromium({
      run,
      extensionDir: join(out, 'chromium'),
      extensionId: chromiumId,
      hosts: [],
      hostManifests: [join(out, 'host', 'com.nmrpc.pingpong.chromium.json')],
    })
  })
  afterAll(async () => {
    await browser?.close()
    if (run) {
      expect(processesOf(run.root)).toEqual([])
      run.remove()
    }
  })

  it('answers ping with pong, shows a typed call, an error, an event from the host and a stream in the popup', async () => {
    const page = await browser.context.newPage()
    await page.goto(`chrome-extension://${chromiumId}/popup.html`)
    const out = page.locator('#out')
    await page.click('#ping')
    await expect.poll(() => out.textContent(), { timeout: 20_000 }).toBe('pong')
    await page.click('#greet')
    await expect.poll(() => out.textContent(), { timeout: 20_000 }).toMatch(/^Hello, popup, from Node v\d+/)
    await page.click('#divide')
    await expect
      .poll(() => out.textContent(), { timeout: 20_000 })
      .toBe('RangeError [HANDLER_ERROR]: Cannot divide 1 by zero')
    await page.click('#remind')
    await expect
      .poll(() => out.textContent(), { timeout: 20_000 })
      .toMatch(/^Reminder from the host at .+: stretch your legs$/)
    await page.click('#countdown')
    await expect.poll(() => out.textContent(), { timeout: 20_000 }).toBe('5 … 4 … 3 … 2 … 1 … 0 … liftoff!')
    await page.close()
  })
})

describe.skipIf(!haveBrowser('firefox'))('ping-pong example in firefox', () => {
  let run: RunDir
  let browser: Awaited<ReturnType<typeof launchFirefox>>

  beforeAll(async () => {
    run = createRunDir('example-firefox')
    const out = buildExample(run)
    // The example as built, plus a driver script next to its background (Firefox has no remote protocol).
    const ext = run.dir('example-firefox-ext')
    cpSync(join(out, 'firefox'), ext, { recursive: true })
    await bundleForExtension(driver, join(ext, 'e2e-driver.js'), {
      __E2E_CONTROL_HOST__: '"nmrpc.e2e.control"',
    })
    const manifestFile = join(ext, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
    expect(manifest.browser_specific_settings.gecko.id).toBe(geckoId)
    manifest.background.scripts.push('e2e-driver.js')
    writeFileSync(manifestFile, JSON.stringify(manifest))
    browser = await launchFirefox({
      run,
      extensionDir: ext,
      geckoId,
      hosts: [],
      hostManifests: [join(out, 'host', 'com.nmrpc.pingpong.firefox.json')],
    })
  })
  afterAll(async () => {
    await browser?.close()
    if (run) {
      expect(processesOf(run.root)).toEqual([])
      run.remove()
    }
  })

  it('answers ping with pong', async () => {
    expect(await browser.run('examplePing')).toBe('pong')
  })

  it('makes a typed call whose Date arrives as a Date', async () => {
    expect(await browser.run('exampleGreet', 'firefox')).toEqual({
      text: expect.stringMatching(/^Hello, firefox, from Node v\d+/),
      atIsDate: true,
    })
  })

  it('reports a thrown error with its name, code and message', async () => {
    expect(await browser.run('exampleDivide', 1, 0)).toEqual({
      error: { name: 'RangeError', code: 'HANDLER_ERROR', message: 'Cannot divide 1 by zero' },
    })
  })

  it('hears an event the host sends on its own', async () => {
    expect(await browser.run('exampleRemind', 'stretch')).toEqual({
      answer: 'I will remind you in 0.2 s',
      text: 'stretch',
      atIsDate: true,
    })
  })

  it('streams a countdown', async () => {
    expect(await browser.run('exampleCountdown', 3)).toEqual([3, 2, 1, 0])
  })
})
