import type { Scope } from './platform.js'

/**
 * THE location table: for every browser nmrpc knows, on every OS, where the browser looks for a native
 * messaging host manifest, in the order it looks. Nothing else in nmrpc hard-codes a browser path.
 *
 * Sources, cited per entry below by these short names:
 * - [chrome-doc]  developer.chrome.com/docs/extensions/develop/concepts/native-messaging ("Native messaging
 *                 host location"): Linux, macOS system/user dirs, Windows HKCU/HKLM keys, "first the 32-bit
 *                 registry is queried, then the 64-bit registry".
 * - [cr-posix]    chromium chrome/browser/extensions/api/messaging/native_process_launcher_posix.cc
 *                 FindManifest: the user dir (`<user-data-dir>/NativeMessagingHosts`) first when user-level
 *                 hosts are allowed, then the system dir; the FIRST EXISTING file wins, even if broken.
 * - [cr-win]      chromium native_process_launcher_win.cc FindManifest/GetManifestPath: HKCU first, then
 *                 HKLM ("crbug.com/1034919#c6"); per hive KEY_WOW64_32KEY then KEY_WOW64_64KEY; Chromium-
 *                 branded builds read SOFTWARE\Chromium\NativeMessagingHosts before SOFTWARE\Google\Chrome\...
 * - [cr-paths]    chromium chrome/common/chrome_paths.cc / chrome_paths_mac.mm DIR_NATIVE_MESSAGING: one
 *                 system dir per brand shared by all channels (/etc/opt/chrome, /Library/Google/Chrome);
 *                 chrome_paths_linux.cc: the user data dir honours $CHROME_CONFIG_HOME, then $XDG_CONFIG_HOME.
 * - [edge-doc]    learn.microsoft.com/microsoft-edge/extensions/developer-guide/native-messaging, step 3.
 * - [mdn]         developer.mozilla.org Mozilla/Add-ons/WebExtensions/Native_manifests ("Manifest location").
 * - [moz-nm]      mozilla toolkit/components/extensions/NativeManifests.sys.mjs: Linux/macOS try the user dir
 *                 then the system dir and skip INVALID files (first valid wins); Windows reads
 *                 Software\Mozilla\NativeMessagingHosts\<name> in HKCU (64-bit view), then HKLM 32-bit,
 *                 then HKLM 64-bit.
 * - [wfx-nm]      Waterfox's NativeManifests.sys.mjs COMPAT_DIR_NAMES: ~/.waterfox falls back to ~/.mozilla
 *                 (Linux), Waterfox falls back to Mozilla (macOS); registry path unchanged (Software\Mozilla).
 * - [kpxc]        keepassxreboot/keepassxc src/browser/NativeMessageInstaller.cpp (per-browser dirs and keys,
 *                 incl. LibreWolf, Tor Browser, Vivaldi and Brave using Chrome's key on Windows).
 * - [bpass]       browserpass/browserpass-native Makefile (system dirs for Vivaldi and Brave).
 * - [hm]          nix-community/home-manager modules/misc/mozilla-messaging-hosts.nix (Thunderbird, LibreWolf).
 * - [flatpak]     Flatpak keeps an app's home under ~/.var/app/<app-id>/ (Firefox: org.mozilla.firefox).
 */

/** Which manifest dialect a browser speaks. */
export type Family = 'chromium' | 'firefox'

/** A directory (path template, see `expandPath`) holding `<name>.json`. */
export interface DirPlace {
  kind: 'dir'
  scope: Scope
  dir: string
}

/** A registry key whose subkey `<name>` has a default value holding the manifest's path. */
export interface RegistryPlace {
  kind: 'registry'
  scope: Scope
  hive: 'HKCU' | 'HKLM'
  /** The parent key, e.g. `Software\Google\Chrome\NativeMessagingHosts`. */
  key: string
  /** The registry view the browser opens the key with (KEY_WOW64_32KEY or KEY_WOW64_64KEY). */
  view: '32' | '64'
}

export type Place = DirPlace | RegistryPlace

/** One browser on one OS. */
export interface PlatformEntry {
  /** Every place the browser reads, in the order it reads them. Install writes the first of a scope. */
  places: readonly Place[]
  /**
   * Paths (templates) whose existence means "this browser is installed": its profile folder or its
   * binary. `bin:NAME` means an executable NAME on $PATH.
   */
  detect: readonly string[]
  /** Said by doctor about this browser (sandboxing and the like). */
  note?: string
}

export interface BrowserSpec {
  /** The value of `--browser`. */
  id: string
  title: string
  family: Family
  /** Set for browsers that run sandboxed (Flatpak, Snap): doctor explains what that means for hosts. */
  sandbox?: 'flatpak' | 'snap'
  linux?: PlatformEntry
  darwin?: PlatformEntry
  win32?: PlatformEntry
}

const dir = (scope: Scope, d: string): DirPlace => ({ kind: 'dir', scope, dir: d })

/** [cr-win]: HKCU then HKLM; in each, the 32-bit view then the 64-bit view; in each view, `keys` in order. */
function chromiumRegistry(...keys: string[]): RegistryPlace[] {
  const out: RegistryPlace[] = []
  for (const [hive, scope] of [
    ['HKCU', 'user'],
    ['HKLM', 'system'],
  ] as const) {
    for (const view of ['32', '64'] as const) {
      for (const key of keys) out.push({ kind: 'registry', scope, hive, key, view })
    }
  }
  return out
}

/** [moz-nm] _winLookup: HKCU (64-bit view), then HKLM 32-bit, then HKLM 64-bit. */
function mozillaRegistry(): RegistryPlace[] {
  const key = 'Software\\Mozilla\\NativeMessagingHosts'
  return [
    { kind: 'registry', scope: 'user', hive: 'HKCU', key, view: '64' },
    { kind: 'registry', scope: 'system', hive: 'HKLM', key, view: '32' },
    { kind: 'registry', scope: 'system', hive: 'HKLM', key, view: '64' },
  ]
}

const CHROME_KEY = 'Software\\Google\\Chrome\\NativeMessagingHosts'
const NMH = 'NativeMessagingHosts'

/** A Chrome channel: [chrome-doc] + [cr-paths] (system dirs shared by channels; Windows key shared too). */
function chrome(id: string, title: string, linuxDir: string, macDir: string, bins: string[]): BrowserSpec {
  return {
    id,
    title,
    family: 'chromium',
    linux: {
      places: [
        dir('user', `$CHROME_CONFIG_HOME/${linuxDir}/${NMH}`),
        dir('system', '/etc/opt/chrome/native-messaging-hosts'),
      ],
      detect: [`$CHROME_CONFIG_HOME/${linuxDir}`, ...bins.map((b) => `bin:${b}`)],
    },
    darwin: {
      places: [
        dir('user', `~/Library/Application Support/Google/${macDir}/${NMH}`),
        dir('system', '/Library/Google/Chrome/NativeMessagingHosts'),
      ],
      detect: [`~/Library/Application Support/Google/${macDir}`, `/Applications/Google ${macDir}.app`],
    },
    win32: {
      places: chromiumRegistry(CHROME_KEY),
      detect: [`%LOCALAPPDATA%/Google/${macDir === 'Chrome Canary' ? 'Chrome SxS' : macDir}/User Data`],
    },
  }
}

/** An Edge channel: [edge-doc]. Linux has no Canary; macOS/Windows profile folders carry the channel name. */
function edge(id: string, title: string, channel: '' | 'Beta' | 'Dev' | 'Canary'): BrowserSpec {
  const suffix = channel === '' ? '' : ` ${channel}`
  const linuxDir = channel === '' ? 'microsoft-edge' : `microsoft-edge-${channel.toLowerCase()}`
  const spec: BrowserSpec = {
    id,
    title,
    family: 'chromium',
    darwin: {
      places: [
        dir('user', `~/Library/Application Support/Microsoft Edge${suffix}/${NMH}`),
        dir('system', '/Library/Microsoft/Edge/NativeMessagingHosts'),
      ],
      detect: [
        `~/Library/Application Support/Microsoft Edge${suffix}`,
        `/Applications/Microsoft Edge${suffix}.app`,
      ],
    },
    win32: {
      places: chromiumRegistry('Software\\Microsoft\\Edge\\NativeMessagingHosts'),
      detect: [
        `%LOCALAPPDATA%/Microsoft/Edge${suffix ? ` ${channel === 'Canary' ? 'SxS' : channel}` : ''}/User Data`,
      ],
    },
  }
  if (channel !== 'Canary') {
    spec.linux = {
      places: [
        dir('user', `$CHROME_CONFIG_HOME/${linuxDir}/${NMH}`),
        dir('system', '/etc/opt/edge/native-messaging-hosts'),
      ],
      detect: [`$CHROME_CONFIG_HOME/${linuxDir}`, `bin:${linuxDir}`],
    }
  }
  return spec
}

/** A Brave channel. User dirs: [kpxc]; Linux system dir: [bpass] (not confirmed in Brave's source). */
function brave(id: string, title: string, folder: string, bin: string): BrowserSpec {
  return {
    id,
    title,
    family: 'chromium',
    linux: {
      places: [
        dir('user', `$CHROME_CONFIG_HOME/BraveSoftware/${folder}/${NMH}`),
        dir('system', '/etc/opt/brave/native-messaging-hosts'),
      ],
      detect: [`$CHROME_CONFIG_HOME/BraveSoftware/${folder}`, `bin:${bin}`],
    },
    darwin: {
      // brave/brave-core#53 made Brave read Chrome's system dir on macOS, for hosts that only install there.
      places: [
        dir('user', `~/Library/Application Support/BraveSoftware/${folder}/${NMH}`),
        dir('system', '/Library/Google/Chrome/NativeMessagingHosts'),
      ],
      detect: [`~/Library/Application Support/BraveSoftware/${folder}`, '/Applications/Brave Browser.app'],
    },
    // [kpxc]: Brave reads Chrome's registry key.
    win32: {
      places: chromiumRegistry(CHROME_KEY),
      detect: [`%LOCALAPPDATA%/BraveSoftware/${folder}/User Data`],
    },
  }
}

/** A Firefox-family browser whose Windows lookup is [moz-nm]'s. */
function gecko(
  id: string,
  title: string,
  linux: PlatformEntry | undefined,
  darwin: PlatformEntry | undefined,
  winDetect: string[],
): BrowserSpec {
  const spec: BrowserSpec = {
    id,
    title,
    family: 'firefox',
    win32: { places: mozillaRegistry(), detect: winDetect },
  }
  if (linux) spec.linux = linux
  if (darwin) spec.darwin = darwin
  return spec
}

const MOZ_LINUX_SYSTEM = [
  dir('system', '/usr/lib/mozilla/native-messaging-hosts'),
  dir('system', '/usr/lib64/mozilla/native-messaging-hosts'),
]

export const BROWSERS: readonly BrowserSpec[] = [
  chrome('chrome', 'Google Chrome', 'google-chrome', 'Chrome', ['google-chrome-stable', 'google-chrome']),
  chrome('chrome-beta', 'Google Chrome Beta', 'google-chrome-beta', 'Chrome Beta', ['google-chrome-beta']),
  chrome('chrome-dev', 'Google Chrome Dev', 'google-chrome-unstable', 'Chrome Dev', [
    'google-chrome-unstable',
  ]),
  chrome('chrome-canary', 'Google Chrome Canary', 'google-chrome-canary', 'Chrome Canary', [
    'google-chrome-canary',
  ]),
  {
    id: 'chromium',
    title: 'Chromium',
    family: 'chromium',
    linux: {
      // [chrome-doc]; /etc/chromium is also what Debian's chromium reads (BROWSERS.md).
      places: [
        dir('user', `$CHROME_CONFIG_HOME/chromium/${NMH}`),
        dir('system', '/etc/chromium/native-messaging-hosts'),
      ],
      detect: ['$CHROME_CONFIG_HOME/chromium', 'bin:chromium', 'bin:chromium-browser'],
    },
    darwin: {
      places: [
        dir('user', `~/Library/Application Support/Chromium/${NMH}`),
        dir('system', '/Library/Application Support/Chromium/NativeMessagingHosts'),
      ],
      detect: ['~/Library/Application Support/Chromium', '/Applications/Chromium.app'],
    },
    // [cr-win]: Chromium-branded builds try SOFTWARE\Chromium, then fall back to Chrome's key.
    win32: {
      places: chromiumRegistry('Software\\Chromium\\NativeMessagingHosts', CHROME_KEY),
      detect: ['%LOCALAPPDATA%/Chromium/User Data'],
    },
  },
  edge('edge', 'Microsoft Edge', ''),
  edge('edge-beta', 'Microsoft Edge Beta', 'Beta'),
  edge('edge-dev', 'Microsoft Edge Dev', 'Dev'),
  edge('edge-canary', 'Microsoft Edge Canary', 'Canary'),
  brave('brave', 'Brave', 'Brave-Browser', 'brave-browser'),
  brave('brave-beta', 'Brave Beta', 'Brave-Browser-Beta', 'brave-browser-beta'),
  brave('brave-nightly', 'Brave Nightly', 'Brave-Browser-Nightly', 'brave-browser-nightly'),
  {
    id: 'vivaldi',
    title: 'Vivaldi',
    family: 'chromium',
    // User dirs: [kpxc]; system dirs: [bpass].
    linux: {
      places: [
        dir('user', `$CHROME_CONFIG_HOME/vivaldi/${NMH}`),
        dir('system', '/etc/opt/vivaldi/native-messaging-hosts'),
      ],
      detect: ['$CHROME_CONFIG_HOME/vivaldi', 'bin:vivaldi', 'bin:vivaldi-stable'],
    },
    darwin: {
      places: [
        dir('user', `~/Library/Application Support/Vivaldi/${NMH}`),
        dir('system', '/Library/Application Support/Vivaldi/NativeMessagingHosts'),
      ],
      detect: ['~/Library/Application Support/Vivaldi', '/Applications/Vivaldi.app'],
    },
    // [kpxc]: Vivaldi reads Chrome's registry key.
    win32: { places: chromiumRegistry(CHROME_KEY), detect: ['%LOCALAPPDATA%/Vivaldi/User Data'] },
  },
  {
    id: 'opera',
    title: 'Opera',
    family: 'chromium',
    // Opera's profile folders (~/.config/opera, com.operasoftware.Opera); it documents no system dir on
    // Linux/macOS, so nmrpc offers none. On Windows it reads Chrome's key like other Chromium forks.
    linux: {
      places: [dir('user', `$CHROME_CONFIG_HOME/opera/${NMH}`)],
      detect: ['$CHROME_CONFIG_HOME/opera', 'bin:opera'],
    },
    darwin: {
      places: [dir('user', `~/Library/Application Support/com.operasoftware.Opera/${NMH}`)],
      detect: ['~/Library/Application Support/com.operasoftware.Opera', '/Applications/Opera.app'],
    },
    win32: {
      places: chromiumRegistry(CHROME_KEY),
      detect: ['~/AppData/Roaming/Opera Software/Opera Stable'],
    },
  },
  gecko(
    'firefox',
    'Firefox',
    // [mdn] + [moz-nm]: ~/.mozilla first, then /usr/lib/mozilla, /usr/lib64/mozilla (64-bit distros).
    {
      places: [dir('user', '~/.mozilla/native-messaging-hosts'), ...MOZ_LINUX_SYSTEM],
      detect: ['~/.mozilla/firefox', 'bin:firefox', 'bin:firefox-esr'],
    },
    {
      places: [
        dir('user', `~/Library/Application Support/Mozilla/${NMH}`),
        dir('system', `/Library/Application Support/Mozilla/${NMH}`),
      ],
      detect: ['~/Library/Application Support/Firefox', '/Applications/Firefox.app'],
    },
    ['~/AppData/Roaming/Mozilla/Firefox', '%PROGRAMFILES%/Mozilla Firefox'],
  ),
  {
    id: 'firefox-flatpak',
    title: 'Firefox (Flatpak)',
    family: 'firefox',
    sandbox: 'flatpak',
    // [flatpak]: the sandboxed Firefox's "home" is ~/.var/app/org.mozilla.firefox, so it reads its own .mozilla.
    linux: {
      places: [dir('user', '~/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts')],
      detect: ['~/.var/app/org.mozilla.firefox'],
      note:
        'Flatpak Firefox starts hosts inside its sandbox, where the system node may be missing; install with ' +
        '--node pointing at a node inside the sandbox, or make the launcher run `flatpak-spawn --host` ' +
        '(needs `flatpak override --user --talk-name=org.freedesktop.Flatpak org.mozilla.firefox`).',
    },
  },
  gecko(
    'librewolf',
    'LibreWolf',
    // [kpxc] + [hm]: LibreWolf renames ~/.mozilla to ~/.librewolf; no system dir is documented.
    {
      places: [dir('user', '~/.librewolf/native-messaging-hosts')],
      detect: ['~/.librewolf', 'bin:librewolf'],
    },
    {
      places: [dir('user', `~/Library/Application Support/LibreWolf/${NMH}`)],
      detect: ['~/Library/Application Support/librewolf', '/Applications/LibreWolf.app'],
    },
    ['~/AppData/Roaming/librewolf', '%PROGRAMFILES%/LibreWolf'],
  ),
  gecko(
    'waterfox',
    'Waterfox',
    // [wfx-nm]: its own dirs first, each followed by the Mozilla dir it falls back to.
    {
      places: [
        dir('user', '~/.waterfox/native-messaging-hosts'),
        dir('user', '~/.mozilla/native-messaging-hosts'),
        dir('system', '/usr/lib/waterfox/native-messaging-hosts'),
        dir('system', '/usr/lib/mozilla/native-messaging-hosts'),
      ],
      detect: ['~/.waterfox', 'bin:waterfox'],
    },
    {
      places: [
        dir('user', `~/Library/Application Support/Waterfox/${NMH}`),
        dir('user', `~/Library/Application Support/Mozilla/${NMH}`),
        dir('system', `/Library/Application Support/Waterfox/${NMH}`),
        dir('system', `/Library/Application Support/Mozilla/${NMH}`),
      ],
      detect: ['~/Library/Application Support/Waterfox', '/Applications/Waterfox.app'],
    },
    ['~/AppData/Roaming/Waterfox', '%PROGRAMFILES%/Waterfox'],
  ),
  gecko(
    'thunderbird',
    'Thunderbird',
    // [hm]: Thunderbird reads Firefox's Linux dirs, but ~/Library/Mozilla on macOS.
    {
      places: [dir('user', '~/.mozilla/native-messaging-hosts'), ...MOZ_LINUX_SYSTEM],
      detect: ['~/.thunderbird', 'bin:thunderbird'],
    },
    {
      places: [
        dir('user', `~/Library/Mozilla/${NMH}`),
        dir('system', `/Library/Application Support/Mozilla/${NMH}`),
      ],
      detect: ['~/Library/Thunderbird', '/Applications/Thunderbird.app'],
    },
    ['~/AppData/Roaming/Thunderbird', '%PROGRAMFILES%/Mozilla Thunderbird'],
  ),
  gecko(
    'tor-browser',
    'Tor Browser',
    // [kpxc]: Tor Browser is portable; its "home" is inside the bundle. Linux: the bundle torbrowser-launcher
    // installs (other bundle folders are not found). macOS: TorBrowser-Data.
    {
      places: [
        dir(
          'user',
          '$XDG_DATA_HOME/torbrowser/tbb/x86_64/tor-browser/Browser/TorBrowser/Data/Browser/.mozilla/native-messaging-hosts',
        ),
      ],
      detect: ['$XDG_DATA_HOME/torbrowser/tbb/x86_64/tor-browser'],
    },
    {
      places: [dir('user', `~/Library/Application Support/TorBrowser-Data/Browser/Mozilla/${NMH}`)],
      detect: ['~/Library/Application Support/TorBrowser-Data'],
    },
    ['~/Desktop/Tor Browser'],
  ),
]

/**
 * The browser with id `id`, or `undefined`.
 *
 * @example
 * findBrowser('chrome')?.family // 'chromium'
 */
export function findBrowser(id: string): BrowserSpec | undefined {
  return BROWSERS.find((b) => b.id === id)
}
