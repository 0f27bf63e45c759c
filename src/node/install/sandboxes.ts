import type { Platform } from './platform.js'

/**
 * Sandboxed packagings of browsers (Snap, Flatpak) that change where the browser looks for hosts and what
 * a host may run. Doctor reports the ones it sees; the manifest places themselves stay in browsers.ts.
 * Sources: Snap and Flatpak keep an app's data under ~/snap/<name>/ and ~/.var/app/<app-id>/; mozilla
 * toolkit/components/extensions/docs/native-messaging-portal-design.rst (strictly confined Firefox starts
 * hosts through the WebExtensions XDG desktop portal).
 */
export interface SandboxNote {
  browser: string
  platform: Platform
  kind: 'snap' | 'flatpak'
  /** Paths (`~/` = home) whose existence means this packaging is installed. */
  detect: string[]
  level: 'info' | 'warn'
  message: string
  fix: string
}

const flatpakChromium = (browser: string, title: string, appId: string, dir: string): SandboxNote => ({
  browser,
  platform: 'linux',
  kind: 'flatpak',
  detect: [`~/.var/app/${appId}`],
  level: 'warn',
  message:
    `${title} is installed as a Flatpak (${appId}): that copy reads manifests from ` +
    `~/.var/app/${appId}/config/${dir}/NativeMessagingHosts and starts hosts inside its sandbox, where the system node is not visible.`,
  fix: `nmrpc install ... --user-data-dir ~/.var/app/${appId}/config/${dir}, with --node pointing at a node the sandbox can run (or a launcher using flatpak-spawn --host).`,
})

export const SANDBOXES: readonly SandboxNote[] = [
  {
    browser: 'chromium',
    platform: 'linux',
    kind: 'snap',
    detect: ['/snap/bin/chromium'],
    level: 'warn',
    message:
      'Chromium is installed as a Snap: it keeps its profile in ~/snap/chromium/common/chromium and its confinement ' +
      'keeps it from running programs outside the snap, such as the system node.',
    fix: 'Use a Chromium that is not a Snap (a .deb, or Google Chrome), or install with --user-data-dir ~/snap/chromium/common/chromium and a host the snap can run.',
  },
  {
    browser: 'firefox',
    platform: 'linux',
    kind: 'snap',
    detect: ['/snap/bin/firefox'],
    level: 'info',
    message:
      'Firefox is installed as a Snap: it reads ~/.mozilla/native-messaging-hosts through the WebExtensions XDG desktop ' +
      'portal, which asks the user once before starting a host.',
    fix: 'If connectNative fails at once, check that xdg-desktop-portal is running and up to date.',
  },
  flatpakChromium('chrome', 'Google Chrome', 'com.google.Chrome', 'google-chrome'),
  flatpakChromium('chromium', 'Chromium', 'org.chromium.Chromium', 'chromium'),
  flatpakChromium('brave', 'Brave', 'com.brave.Browser', 'BraveSoftware/Brave-Browser'),
  flatpakChromium('edge', 'Microsoft Edge', 'com.microsoft.Edge', 'microsoft-edge'),
]
