import { join } from 'node:path'
import type { BrowserUnderTest } from './browserUnderTest'
import { type backgrounds, buildE2eExtension } from './buildExtension'
import { bundleHost } from './bundleHost'
import { chromiumProfileDir, launchChromium } from './chromium'
import { createExtensionKey } from './extensionKey'
import { controlHostName, launchFirefox } from './firefox'
import { type HostRegistration, writeLauncher } from './nativeHost'
import { createRunDir, type RunDir } from './runDir'

export type BrowserName = BrowserUnderTest['name']
export const browsers: readonly BrowserName[] = ['chromium', 'firefox']

/**
 * A native host for a run: a Node script (`.mjs` as is, `.ts` bundled against the built package),
 * started through a launcher with `env` baked in.
 */
export interface HostSpec {
  readonly name: string
  readonly script: string
  readonly env?: Record<string, string>
}

export interface OpenOptions {
  /** Hosts to register; a function gets the run folder, for paths such as an events file. */
  readonly hosts: readonly HostSpec[] | ((run: RunDir) => readonly HostSpec[])
  /** Which background to build: every scenario, or the raw ones only (no nmrpc). */
  readonly background?: keyof typeof backgrounds
  /**
   * Runs after the run folder and the extension id exist and before the browser starts, so a test can
   * register hosts its own way (e.g. with `nmrpc install --user-data-dir`) in the folder the browser reads.
   */
  readonly beforeLaunch?: (setup: LaunchSetup) => void | Promise<void>
}

/** What `beforeLaunch` gets: the run folder, the extension id and where this browser reads host manifests. */
export interface LaunchSetup {
  readonly run: RunDir
  readonly extensionId: string
  /** Chromium's `--user-data-dir` (it reads host manifests from `NativeMessagingHosts` in it); none for Firefox. */
  readonly userDataDir?: string
  /** The folder this browser reads host manifests from. */
  readonly hostManifestDir: string
}

export interface E2eSession {
  readonly browser: BrowserUnderTest
  readonly run: RunDir
  /** Chromium: the id the manifest key yields; Firefox: the gecko id. */
  readonly extensionId: string
  /** Every module bundled into the extension, relative to the repo root. */
  readonly bundleInputs: readonly string[]
  /** The folder this browser reads host manifests from (read at each connectNative, so tests may add some). */
  readonly hostManifestDir: string
  /** Every module bundled into the hosts that were TypeScript. */
  readonly hostInputs: readonly string[]
  /** Closes the browser, kills leftovers and removes the run folder. */
  close(): Promise<void>
}

export const geckoId = 'e2e@nmrpc.test'

/**
 * Builds the e2e extension for one browser, registers the given hosts in a fresh run folder and
 * starts the browser. Everything (profile, HOME, host launchers) lives in the run folder.
 *
 * @example
 * const s = await openBrowser('firefox', { hosts: [{ name: 'com.nmrpc.e2e.raw', script: rawEchoHost }] })
 * await s.browser.run('rawPing', 'com.nmrpc.e2e.raw', 'hi')
 * await s.close()
 */
export async function openBrowser(name: BrowserName, options: OpenOptions): Promise<E2eSession> {
  const run = createRunDir(name)
  try {
    const bin = run.dir('hosts')
    const specs = typeof options.hosts === 'function' ? options.hosts(run) : options.hosts
    const hostInputs: string[] = []
    const hosts: HostRegistration[] = []
    for (const h of specs) {
      let script = h.script
      if (script.endsWith('.ts')) {
        script = join(bin, `${h.name}.mjs`)
        hostInputs.push(...(await bundleHost(h.script, script)))
      }
      hosts.push({ name: h.name, path: writeLauncher(join(bin, h.name), script, h.env) })
    }
    const extDir = run.dir('extension')
    const background = options.background ?? 'all'
    let browser: BrowserUnderTest
    let extensionId: string
    let bundleInputs: readonly string[]
    if (name === 'chromium') {
      const key = createExtensionKey()
      bundleInputs = (await buildE2eExtension(extDir, { browser: 'chromium', key: key.key }, background))
        .inputs
      extensionId = key.id
      await options.beforeLaunch?.({ run, extensionId, ...manifestPlaces(name, run) })
      browser = await launchChromium({ run, extensionDir: extDir, extensionId, hosts })
    } else {
      const target = { browser: 'firefox', geckoId, controlHost: controlHostName } as const
      bundleInputs = (await buildE2eExtension(extDir, target, background)).inputs
      extensionId = geckoId
      await options.beforeLaunch?.({ run, extensionId, ...manifestPlaces(name, run) })
      browser = await launchFirefox({ run, extensionDir: extDir, geckoId, hosts })
    }
    return {
      browser,
      run,
      extensionId,
      bundleInputs,
      hostInputs,
      hostManifestDir: manifestPlaces(name, run).hostManifestDir,
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

/** Chromium's user-data-dir for this run, if Chromium, and the folder the browser reads host manifests from. */
function manifestPlaces(name: BrowserName, run: RunDir): { userDataDir?: string; hostManifestDir: string } {
  if (name === 'chromium') {
    const userDataDir = chromiumProfileDir(run)
    return { userDataDir, hostManifestDir: join(userDataDir, 'NativeMessagingHosts') }
  }
  return { hostManifestDir: join(run.home, '.mozilla', 'native-messaging-hosts') }
}
