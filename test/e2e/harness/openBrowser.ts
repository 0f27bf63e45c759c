import { join } from 'node:path'
import type { BrowserUnderTest } from './browserUnderTest'
import { buildE2eExtension } from './buildExtension'
import { launchChromium } from './chromium'
import { createExtensionKey } from './extensionKey'
import { controlHostName, launchFirefox } from './firefox'
import { type HostRegistration, writeLauncher } from './nativeHost'
import { createRunDir, type RunDir } from './runDir'

export type BrowserName = BrowserUnderTest['name']
export const browsers: readonly BrowserName[] = ['chromium', 'firefox']

/** A native host for a run: a Node script, started through a launcher with `env` baked in. */
export interface HostSpec {
  readonly name: string
  readonly script: string
  readonly env?: Record<string, string>
}

export interface E2eSession {
  readonly browser: BrowserUnderTest
  readonly run: RunDir
  /** What the extension's origin looks like to a host (Chromium's argv[2]; Firefox passes the manifest path and id). */
  readonly extensionId: string
  /** Every module bundled into the extension, relative to the repo root. */
  readonly bundleInputs: readonly string[]
  /** Closes the browser, kills leftovers and removes the run folder. */
  close(): Promise<void>
}

export const geckoId = 'e2e@nmrpc.test'

/**
 * Builds the e2e extension for one browser, registers the given hosts in a fresh run folder and
 * starts the browser. Everything (profile, HOME, host launchers) lives in the run folder.
 *
 * @example
 * const s = await openBrowser('firefox', [{ name: 'com.nmrpc.e2e.raw', script: rawEchoHost }])
 * await s.browser.run('rawPing', 'com.nmrpc.e2e.raw', 'hi')
 * await s.close()
 */
export async function openBrowser(name: BrowserName, hostSpecs: readonly HostSpec[]): Promise<E2eSession> {
  const run = createRunDir(name)
  try {
    const bin = run.dir('hosts')
    const hosts: HostRegistration[] = hostSpecs.map((h) => ({
      name: h.name,
      path: writeLauncher(join(bin, h.name), h.script, h.env),
    }))
    const extDir = run.dir('extension')
    let browser: BrowserUnderTest
    let extensionId: string
    let bundleInputs: readonly string[]
    if (name === 'chromium') {
      const key = createExtensionKey()
      bundleInputs = (await buildE2eExtension(extDir, { browser: 'chromium', key: key.key })).inputs
      extensionId = key.id
      browser = await launchChromium({ run, extensionDir: extDir, extensionId, hosts })
    } else {
      bundleInputs = (
        await buildE2eExtension(extDir, { browser: 'firefox', geckoId, controlHost: controlHostName })
      ).inputs
      extensionId = geckoId
      browser = await launchFirefox({ run, extensionDir: extDir, geckoId, hosts })
    }
    return {
      browser,
      run,
      extensionId,
      bundleInputs,
      close: async () => {
        await browser.close()
        run.remove()
      },
    }
  } catch (err) {
    run.remove()
    throw err
  }
}
