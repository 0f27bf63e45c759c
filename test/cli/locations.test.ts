import { describe, expect, it } from 'vitest'
import { BROWSERS, findBrowser } from '../../src/node/install/browsers.js'
import { detectBrowsers, installPlace, searchPlaces } from '../../src/node/install/locations.js'
import type { InstallEnv, Platform } from '../../src/node/install/platform.js'

const HOMES: Record<Platform, string> = { linux: '/home/u', darwin: '/Users/u', win32: 'C:\\Users\\u' }
const envOf = (
  platform: Platform,
  env: Record<string, string> = {},
  exists?: (p: string) => boolean,
): InstallEnv => ({
  platform,
  home: HOMES[platform],
  env,
  exists: exists ?? (() => false),
})

/** One line per place: browser, scope, where, in the browser's search order. */
function table(platform: Platform, env: Record<string, string> = {}): string {
  const lines: string[] = []
  for (const b of BROWSERS) {
    for (const p of searchPlaces(b, envOf(platform, env))) {
      lines.push(
        p.kind === 'dir'
          ? `${b.id} ${p.scope} ${p.dir}`
          : `${b.id} ${p.scope} ${p.hive}\\${p.key} /reg:${p.view}`,
      )
    }
  }
  return `\n${lines.join('\n')}\n`
}

describe('the location table', () => {
  it('gives every browser its Linux places in search order', () => {
    expect(table('linux')).toMatchInlineSnapshot(`
      "
      chrome user /home/u/.config/google-chrome/NativeMessagingHosts
      chrome system /etc/opt/chrome/native-messaging-hosts
      chrome-beta user /home/u/.config/google-chrome-beta/NativeMessagingHosts
      chrome-beta system /etc/opt/chrome/native-messaging-hosts
      chrome-dev user /home/u/.config/google-chrome-unstable/NativeMessagingHosts
      chrome-dev system /etc/opt/chrome/native-messaging-hosts
      chrome-canary user /home/u/.config/google-chrome-canary/NativeMessagingHosts
      chrome-canary system /etc/opt/chrome/native-messaging-hosts
      chromium user /home/u/.config/chromium/NativeMessagingHosts
      chromium system /etc/chromium/native-messaging-hosts
      edge user /home/u/.config/microsoft-edge/NativeMessagingHosts
      edge system /etc/opt/edge/native-messaging-hosts
      edge-beta user /home/u/.config/microsoft-edge-beta/NativeMessagingHosts
      edge-beta system /etc/opt/edge/native-messaging-hosts
      edge-dev user /home/u/.config/microsoft-edge-dev/NativeMessagingHosts
      edge-dev system /etc/opt/edge/native-messaging-hosts
      brave user /home/u/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts
      brave system /etc/opt/brave/native-messaging-hosts
      brave-beta user /home/u/.config/BraveSoftware/Brave-Browser-Beta/NativeMessagingHosts
      brave-beta system /etc/opt/brave/native-messaging-hosts
      brave-nightly user /home/u/.config/BraveSoftware/Brave-Browser-Nightly/NativeMessagingHosts
      brave-nightly system /etc/opt/brave/native-messaging-hosts
      vivaldi user /home/u/.config/vivaldi/NativeMessagingHosts
      vivaldi system /etc/opt/vivaldi/native-messaging-hosts
      opera user /home/u/.config/opera/NativeMessagingHosts
      firefox user /home/u/.mozilla/native-messaging-hosts
      firefox system /usr/lib/mozilla/native-messaging-hosts
      firefox system /usr/lib64/mozilla/native-messaging-hosts
      firefox-flatpak user /home/u/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts
      librewolf user /home/u/.librewolf/native-messaging-hosts
      waterfox user /home/u/.waterfox/native-messaging-hosts
      waterfox user /home/u/.mozilla/native-messaging-hosts
      waterfox system /usr/lib/waterfox/native-messaging-hosts
      waterfox system /usr/lib/mozilla/native-messaging-hosts
      thunderbird user /home/u/.mozilla/native-messaging-hosts
      thunderbird system /usr/lib/mozilla/native-messaging-hosts
      thunderbird system /usr/lib64/mozilla/native-messaging-hosts
      tor-browser user /home/u/.local/share/torbrowser/tbb/x86_64/tor-browser/Browser/TorBrowser/Data/Browser/.mozilla/native-messaging-hosts
      "
    `)
  })

  it('gives every browser its macOS places in search order', () => {
    expect(table('darwin')).toMatchInlineSnapshot(`
      "
      chrome user /Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts
      chrome system /Library/Google/Chrome/NativeMessagingHosts
      chrome-beta user /Users/u/Library/Application Support/Google/Chrome Beta/NativeMessagingHosts
      chrome-beta system /Library/Google/Chrome/NativeMessagingHosts
      chrome-dev user /Users/u/Library/Application Support/Google/Chrome Dev/NativeMessagingHosts
      chrome-dev system /Library/Google/Chrome/NativeMessagingHosts
      chrome-canary user /Users/u/Library/Application Support/Google/Chrome Canary/NativeMessagingHosts
      chrome-canary system /Library/Google/Chrome/NativeMessagingHosts
      chromium user /Users/u/Library/Application Support/Chromium/NativeMessagingHosts
      chromium system /Library/Application Support/Chromium/NativeMessagingHosts
      edge user /Users/u/Library/Application Support/Microsoft Edge/NativeMessagingHosts
      edge system /Library/Microsoft/Edge/NativeMessagingHosts
      edge-beta user /Users/u/Library/Application Support/Microsoft Edge Beta/NativeMessagingHosts
      edge-beta system /Library/Microsoft/Edge/NativeMessagingHosts
      edge-dev user /Users/u/Library/Application Support/Microsoft Edge Dev/NativeMessagingHosts
      edge-dev system /Library/Microsoft/Edge/NativeMessagingHosts
      edge-canary user /Users/u/Library/Application Support/Microsoft Edge Canary/NativeMessagingHosts
      edge-canary system /Library/Microsoft/Edge/NativeMessagingHosts
      brave user /Users/u/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts
      brave system /Library/Google/Chrome/NativeMessagingHosts
      brave-beta user /Users/u/Library/Application Support/BraveSoftware/Brave-Browser-Beta/NativeMessagingHosts
      brave-beta system /Library/Google/Chrome/NativeMessagingHosts
      brave-nightly user /Users/u/Library/Application Support/BraveSoftware/Brave-Browser-Nightly/NativeMessagingHosts
      brave-nightly system /Library/Google/Chrome/NativeMessagingHosts
      vivaldi user /Users/u/Library/Application Support/Vivaldi/NativeMessagingHosts
      vivaldi system /Library/Application Support/Vivaldi/NativeMessagingHosts
      opera user /Users/u/Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts
      firefox user /Users/u/Library/Application Support/Mozilla/NativeMessagingHosts
      firefox system /Library/Application Support/Mozilla/NativeMessagingHosts
      librewolf user /Users/u/Library/Application Support/LibreWolf/NativeMessagingHosts
      waterfox user /Users/u/Library/Application Support/Waterfox/NativeMessagingHosts
      waterfox user /Users/u/Library/Application Support/Mozilla/NativeMessagingHosts
      waterfox system /Library/Application Support/Waterfox/NativeMessagingHosts
      waterfox system /Library/Application Support/Mozilla/NativeMessagingHosts
      thunderbird user /Users/u/Library/Mozilla/NativeMessagingHosts
      thunderbird system /Library/Application Support/Mozilla/NativeMessagingHosts
      tor-browser user /Users/u/Library/Application Support/TorBrowser-Data/Browser/Mozilla/NativeMessagingHosts
      "
    `)
  })

  it('gives every browser its Windows registry keys and views in search order', () => {
    expect(table('win32')).toMatchInlineSnapshot(`
      "
      chrome user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-beta user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-beta user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-beta system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-beta system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-dev user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-dev user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-dev system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-dev system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-canary user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-canary user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chrome-canary system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chrome-canary system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chromium user HKCU\\Software\\Chromium\\NativeMessagingHosts /reg:32
      chromium user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chromium user HKCU\\Software\\Chromium\\NativeMessagingHosts /reg:64
      chromium user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      chromium system HKLM\\Software\\Chromium\\NativeMessagingHosts /reg:32
      chromium system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      chromium system HKLM\\Software\\Chromium\\NativeMessagingHosts /reg:64
      chromium system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      edge user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-beta user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-beta user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-beta system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-beta system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-dev user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-dev user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-dev system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-dev system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-canary user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-canary user HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      edge-canary system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:32
      edge-canary system HKLM\\Software\\Microsoft\\Edge\\NativeMessagingHosts /reg:64
      brave user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      brave system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      brave-beta user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave-beta user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      brave-beta system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave-beta system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      brave-nightly user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave-nightly user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      brave-nightly system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      brave-nightly system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      vivaldi user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      vivaldi user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      vivaldi system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      vivaldi system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      opera user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      opera user HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      opera system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:32
      opera system HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts /reg:64
      firefox user HKCU\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      firefox system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:32
      firefox system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      librewolf user HKCU\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      librewolf system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:32
      librewolf system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      waterfox user HKCU\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      waterfox system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:32
      waterfox system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      thunderbird user HKCU\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      thunderbird system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:32
      thunderbird system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      tor-browser user HKCU\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      tor-browser system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:32
      tor-browser system HKLM\\Software\\Mozilla\\NativeMessagingHosts /reg:64
      "
    `)
  })

  it('follows CHROME_CONFIG_HOME over XDG_CONFIG_HOME for Chromium, and XDG_CONFIG_HOME alone otherwise', () => {
    const chromium = findBrowser('chromium')!
    expect(searchPlaces(chromium, envOf('linux', { XDG_CONFIG_HOME: '/x' }))[0]).toEqual({
      kind: 'dir',
      scope: 'user',
      dir: '/x/chromium/NativeMessagingHosts',
    })
    expect(
      searchPlaces(chromium, envOf('linux', { XDG_CONFIG_HOME: '/x', CHROME_CONFIG_HOME: '/c' }))[0],
    ).toMatchObject({
      dir: '/c/chromium/NativeMessagingHosts',
    })
    // Firefox ignores XDG: its user dir stays in the home.
    expect(searchPlaces(findBrowser('firefox')!, envOf('linux', { XDG_CONFIG_HOME: '/x' }))[0]).toMatchObject(
      {
        dir: '/home/u/.mozilla/native-messaging-hosts',
      },
    )
  })

  it('installs to the first place of the scope in search order', () => {
    const chrome = findBrowser('chrome')!
    expect(installPlace(chrome, envOf('darwin'), 'system')).toMatchObject({
      dir: '/Library/Google/Chrome/NativeMessagingHosts',
    })
    expect(installPlace(findBrowser('firefox')!, envOf('win32'), 'system')).toMatchObject({
      hive: 'HKLM',
      view: '32',
    })
    expect(installPlace(findBrowser('opera')!, envOf('linux'), 'system')).toBeUndefined()
  })

  it('has ids that are unique and a place on at least one OS for every browser', () => {
    const ids = BROWSERS.map((b) => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const b of BROWSERS) expect(b.linux ?? b.darwin ?? b.win32, b.id).toBeDefined()
  })
})

describe('detecting installed browsers', () => {
  it('counts a profile folder or a binary on PATH, per OS', () => {
    const seen = new Set(['/usr/bin/chromium', '/home/u/.mozilla/firefox'])
    const linux = envOf('linux', { PATH: '/usr/local/bin:/usr/bin' }, (p) => seen.has(p))
    expect(detectBrowsers(linux).map((b) => b.id)).toEqual(['chromium', 'firefox'])

    const mac = new Set([
      '/Applications/Google Chrome Canary.app',
      '/Users/u/Library/Application Support/Vivaldi',
    ])
    expect(detectBrowsers(envOf('darwin', {}, (p) => mac.has(p))).map((b) => b.id)).toEqual([
      'chrome-canary',
      'vivaldi',
    ])

    const win = new Set([
      'C:\\Users\\u\\AppData\\Local\\Microsoft\\Edge Beta\\User Data',
      'C:\\Program Files\\Mozilla Firefox',
    ])
    expect(detectBrowsers(envOf('win32', {}, (p) => win.has(p))).map((b) => b.id)).toEqual([
      'edge-beta',
      'firefox',
    ])
  })

  it('finds nothing on an empty machine', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const)
      expect(detectBrowsers(envOf(platform))).toEqual([])
  })

  it('sees a Flatpak Firefox by its ~/.var/app folder', () => {
    const seen = new Set(['/home/u/.var/app/org.mozilla.firefox'])
    expect(detectBrowsers(envOf('linux', {}, (p) => seen.has(p))).map((b) => b.id)).toEqual([
      'firefox-flatpak',
    ])
  })
})
