import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'

/** The operating systems nmrpc knows where browsers look for native hosts on. */
export type Platform = 'linux' | 'darwin' | 'win32'

/** Where a manifest is registered: for the current user only, or for every user of the machine. */
export type Scope = 'user' | 'system'

/**
 * The machine as the install, uninstall and doctor logic sees it. Everything that differs between
 * machines is here, so tests can describe a macOS or Windows machine while running on Linux.
 */
export interface InstallEnv {
  platform: Platform
  /** The user's home directory. */
  home: string
  /** Environment variables (XDG_CONFIG_HOME, CHROME_CONFIG_HOME, LOCALAPPDATA, PATH...). */
  env: Readonly<Record<string, string | undefined>>
  /**
   * Answers whether a path exists; used only to tell which browsers are installed.
   * @default fs.existsSync
   */
  exists?: (p: string) => boolean
}

/**
 * The environment of this process: its platform, `os.homedir()` (which honours `$HOME`) and `process.env`.
 *
 * @example
 * const env = currentInstallEnv()
 * env.platform // 'linux'
 */
export function currentInstallEnv(): InstallEnv {
  const p = process.platform
  const platform: Platform = p === 'darwin' || p === 'win32' ? p : 'linux'
  return { platform, home: homedir(), env: process.env, exists: existsSync }
}

/** The path module with the separators and absolute-path rules of `platform`. */
export function pathFor(platform: Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix
}

/**
 * Expands the variables the location table uses: `~` (home), `$XDG_CONFIG_HOME`, `$XDG_DATA_HOME`,
 * `$CHROME_CONFIG_HOME` (Chromium prefers it over XDG_CONFIG_HOME), `%LOCALAPPDATA%`, `%PROGRAMDATA%`.
 * Unset variables take the defaults their owners document.
 *
 * @example
 * expandPath('$XDG_CONFIG_HOME/chromium', { platform: 'linux', home: '/home/a', env: {} })
 * // '/home/a/.config/chromium'
 */
export function expandPath(template: string, ienv: InstallEnv): string {
  const p = pathFor(ienv.platform)
  const env = ienv.env
  const nonEmpty = (v: string | undefined) => (v && v.length > 0 ? v : undefined)
  const xdgConfig = nonEmpty(env.XDG_CONFIG_HOME) ?? p.join(ienv.home, '.config')
  const vars: Record<string, string> = {
    '~': ienv.home,
    $XDG_CONFIG_HOME: xdgConfig,
    $XDG_DATA_HOME: nonEmpty(env.XDG_DATA_HOME) ?? p.join(ienv.home, '.local', 'share'),
    // chrome/common/chrome_paths_linux.cc GetDefaultUserDataDirectory: CHROME_CONFIG_HOME wins over XDG.
    $CHROME_CONFIG_HOME: nonEmpty(env.CHROME_CONFIG_HOME) ?? xdgConfig,
    '%LOCALAPPDATA%': nonEmpty(env.LOCALAPPDATA) ?? p.join(ienv.home, 'AppData', 'Local'),
    '%PROGRAMDATA%': nonEmpty(env.ProgramData ?? env.PROGRAMDATA) ?? 'C:\\ProgramData',
    '%PROGRAMFILES%': nonEmpty(env.ProgramFiles ?? env.PROGRAMFILES) ?? 'C:\\Program Files',
  }
  const [head = '', ...rest] = template.split('/')
  // A leading '/' leaves an empty head: the template is already absolute.
  const first = head === '' ? p.sep : head in vars ? vars[head]! : head
  return p.join(first, ...rest)
}
