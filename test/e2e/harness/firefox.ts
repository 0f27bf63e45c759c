import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BrowserUnderTest, browserLifetimeSeconds } from './browserUnderTest'
import { ControlServer } from './controlServer'
import { browserPath } from './findBrowsers'
import { type HostRegistration, hostNameOf, registerFirefoxHost, writeLauncher } from './nativeHost'
import { killRun, waitRunGone } from './processes'
import type { RunDir } from './runDir'
import { zipDirectory } from './zip'

/** The control host's name, registered in every Firefox run. */
export const controlHostName = 'nmrpc.e2e.control'

const controlHostScript = new URL('./controlHost.mjs', import.meta.url).pathname

// Sideloading an unsigned extension, and keeping a headless test browser quiet and offline.
const prefs: Record<string, string | number | boolean> = {
  'xpinstall.signatures.required': false,
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 15,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
}

export interface FirefoxOptions {
  readonly run: RunDir
  /** An unpacked extension folder whose manifest has `browser_specific_settings.gecko.id`. */
  readonly extensionDir: string
  readonly geckoId: string
  readonly hosts: readonly HostRegistration[]
  /** Host manifests written by someone else (e.g. the example's build), copied in as `<name>.json`. */
  readonly hostManifests?: readonly string[]
}

/**
 * Starts headless Firefox ESR with the extension sideloaded into a fresh profile and its hosts
 * registered under the run's HOME. Firefox has no remote protocol here, so the extension connects to
 * the control host (a relay to a Unix socket in the run folder) and the test drives it through that.
 *
 * @example
 * const browser = await launchFirefox({ run, extensionDir, geckoId, hosts })
 * await browser.run('rawPing', 'com.nmrpc.e2e.raw', 'hi')
 */
export async function launchFirefox(options: FirefoxOptions): Promise<BrowserUnderTest> {
  const { run, geckoId } = options
  const firefoxPath = browserPath('firefox')
  const profile = run.dir('firefox-profile')
  mkdirSync(join(profile, 'extensions'), { recursive: true })
  writeFileSync(join(profile, 'extensions', `${geckoId}.xpi`), zipDirectory(options.extensionDir))
  writeFileSync(
    join(profile, 'user.js'),
    Object.entries(prefs)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`)
      .join(''),
  )

  const socketPath = join(run.root, 'control.sock')
  const control = await ControlServer.listen(socketPath)
  const launcher = writeLauncher(join(run.dir('bin'), 'control-host'), controlHostScript, {
    NMRPC_E2E_CONTROL: socketPath,
  })
  for (const host of [...options.hosts, { name: controlHostName, path: launcher }]) {
    registerFirefoxHost(run.home, host, geckoId)
  }
  for (const file of options.hostManifests ?? []) {
    copyFileSync(file, join(run.home, '.mozilla', 'native-messaging-hosts', `${hostNameOf(file)}.json`))
  }

  const logPath = join(run.root, 'firefox.log')
  const log = createWriteStream(logPath)
  const child: ChildProcess = spawn(
    'timeout',
    [
      '-k',
      '5',
      String(browserLifetimeSeconds),
      firefoxPath,
      '--headless',
      '--no-remote',
      '--profile',
      profile,
      'about:blank',
    ],
    { env: { ...run.env, MOZ_HEADLESS: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const tail = (): string => {
    try {
      return `Firefox log (${logPath}):\n${readFileSync(logPath, 'utf8').slice(-4000)}`
    } catch {
      return ''
    }
  }

  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await control.close()
    // Firefox has no clean remote shutdown here: SIGTERM the process group timeout leads, then sweep.
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
    if ((await waitRunGone(run.root, 3_000)).length > 0) killRun(run.root)
    log.end()
  }

  try {
    await Promise.race([
      control.ready(60_000, tail),
      exited.then(() => {
        throw new Error(`Firefox exited before the extension connected. ${tail()}`)
      }),
    ])
  } catch (err) {
    await close()
    throw err
  }
  return {
    name: 'firefox',
    close,
    run: async <T>(scenario: string, ...args: unknown[]): Promise<T> =>
      (await control.run(scenario, args)) as T,
  }
}
