import { execFile } from 'node:child_process'

/** A `reg.exe` invocation, kept as data so it can be shown (--dry-run), tested, and run only on Windows. */
export interface RegCommand {
  file: 'reg.exe'
  args: string[]
}

export interface RegistryValue {
  hive: 'HKCU' | 'HKLM'
  /** Full key path without the hive, e.g. `Software\Google\Chrome\NativeMessagingHosts\com.acme.app`. */
  key: string
  view: '32' | '64'
}

/**
 * `reg add` setting the key's default value to `manifestPath` in the given registry view, overwriting.
 *
 * @example
 * regAdd({ hive: 'HKCU', key: 'Software\\Mozilla\\NativeMessagingHosts\\com.acme.app', view: '64' }, 'C:\\m.json')
 * // { file: 'reg.exe', args: ['add', 'HKCU\\Software\\...\\com.acme.app', '/ve', '/t', 'REG_SZ', '/d', 'C:\\m.json', '/f', '/reg:64'] }
 */
export function regAdd(v: RegistryValue, manifestPath: string): RegCommand {
  return {
    file: 'reg.exe',
    args: ['add', `${v.hive}\\${v.key}`, '/ve', '/t', 'REG_SZ', '/d', manifestPath, '/f', `/reg:${v.view}`],
  }
}

/** `reg delete` of the whole host key, without a prompt. */
export function regDelete(v: RegistryValue): RegCommand {
  return { file: 'reg.exe', args: ['delete', `${v.hive}\\${v.key}`, '/f', `/reg:${v.view}`] }
}

/** `reg query` of the key's default value. */
export function regQuery(v: RegistryValue): RegCommand {
  return { file: 'reg.exe', args: ['query', `${v.hive}\\${v.key}`, '/ve', `/reg:${v.view}`] }
}

/** The command as one would type it in cmd.exe, for --dry-run output. */
export function formatRegCommand(c: RegCommand): string {
  return [c.file, ...c.args.map((a) => (/[\s"]/.test(a) ? `"${a}"` : a))].join(' ')
}

/**
 * The default value in `reg query ... /ve` output. The "(Default)" label is localized, so this takes the
 * text after the REG_SZ / REG_EXPAND_SZ type on the first line that has one.
 *
 * @example
 * parseRegQueryDefault('\r\nHKEY_CURRENT_USER\\...\r\n    (Default)    REG_SZ    C:\\m.json\r\n') // 'C:\\m.json'
 */
export function parseRegQueryDefault(stdout: string): string | undefined {
  for (const line of stdout.split(/\r?\n/)) {
    const m = /\sREG_(?:EXPAND_)?SZ\s+(.*)$/.exec(line)
    if (m) return m[1]!.trim()
  }
  return undefined
}

/** Runs a reg.exe command (Windows only); resolves with its stdout, rejects with its stderr. */
export function runReg(c: RegCommand): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  if (process.platform !== 'win32') {
    return Promise.reject(
      new Error(
        `reg.exe runs only on Windows; this is ${process.platform}. Use --dry-run to see the command.`,
      ),
    )
  }
  return new Promise((resolve) => {
    execFile(c.file, c.args, { windowsHide: true, timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}
