import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Worker } from 'playwright-core'
import { type BrowserUnderTest, browserLifetimeSeconds } from './browserUnderTest'
import { browserPath } from './findBrowsers'
import { type HostRegistration, hostNameOf, registerChromiumHost } from './nativeHost'
import { killRun, waitRunGone } from './processes'
import type { RunDir } from './runDir'

export interface ChromiumOptions {
  readonly run: RunDir
  /** An unpacked extension folder whose manifest carries `key`. */
  readonly extensionDir: string
  /** The id that `key` yields; the hosts allow only this origin. */
  readonly extensionId: string
  readonly hosts: readonly HostRegistration[]
  /** Host manifests written by someone else (e.g. the example's build), copied in as `<name>.json`. */
  readonly hostManifests?: readonly string[]
}

/** Chromium also hands out its Playwright context, for tests that open extension pages. */
export interface ChromiumUnderTest extends BrowserUnderTest {
  readonly context: BrowserContext
}

/** The `--user-data-dir` of a run's Chromium (created if missing), so a test can register hosts there before launch. */
export function chromiumProfileDir(run: RunDir): string {
  return run.dir('chromium-profile')
}

/**
 * Starts headless Chromium with one unpacked extension and its hosts registered in the user-data-dir,
 * and returns a driver that runs scenarios in the extension's service worker with `sw.evaluate`.
 * The binary runs under `timeout`, so even a hung test cannot leave it running.
 *
 * @example
 * const browser = await launchChromium({ run, extensionDir, extensionId, hosts })
 * await browser.run('rawPing', 'com.nmrpc.e2e.raw', 'hi')
 */
export async function launchChromium(options: ChromiumOptions): Promise<ChromiumUnderTest> {
  const { run, extensionDir, extensionId } = options
  const chromiumPath = browserPath('chromium')
  const userDataDir = chromiumProfileDir(run)
  for (const host of options.hosts) registerChromiumHost(userDataDir, host, extensionId)
  mkdirSync(join(userDataDir, 'NativeMessagingHosts'), { recursive: true })
  for (const file of options.hostManifests ?? []) {
    copyFileSync(file, join(userDataDir, 'NativeMessagingHosts', `${hostNameOf(file)}.json`))
  }
  const wrapper = join(run.dir('bin'), 'chromium')
  writeFileSync(wrapper, `#!/bin/sh\nexec timeout -k 5 ${browserLifetimeSeconds} ${chromiumPath} "$@"\n`)
  chmodSync(wrapper, 0o755)

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: wrapper,
    headless: true,
    env: run.env,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-default-browser-check',
      '--disable-dev-shm-usage',
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
    ],
  })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await context.close().catch(() => {})
    // Native hosts get EOF when the browser goes; give them a moment, then kill what is left.
    if ((await waitRunGone(run.root, 3_000)).length > 0) killRun(run.root)
  }
  try {
    const prefix = `chrome-extension://${extensionId}/`
    const isOurs = (w: Worker): boolean => w.url().startsWith(prefix)
    const worker =
      context.serviceWorkers().find(isOurs) ??
      (await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 30_000 }))
    return {
      name: 'chromium',
      context,
      close,
      run: async <T>(scenario: string, ...args: unknown[]): Promise<T> => {
        const result = await worker.evaluate(
          ([name, a]) =>
            (globalThis as unknown as { e2e: { run(n: string, a: unknown[]): unknown } }).e2e.run(name, a),
          [scenario, args] as const,
        )
        return result as T
      },
    }
  } catch (err) {
    await close()
    throw err
  }
}
