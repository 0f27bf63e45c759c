import { constants } from 'node:fs'
import { access, open, stat } from 'node:fs/promises'
import type { Platform } from './platform.js'
import { pathFor } from './platform.js'

/**
 * The PATH a browser started from the desktop (menu, dock, file manager) hands to the hosts it starts.
 * A GUI session does not read ~/.bashrc or ~/.zshrc, so nvm, volta, asdf and Homebrew's additions are
 * missing: on Linux the session gets the display manager's default (systemd's
 * /usr/local/bin:/usr/bin:/bin, without sbin for a user session), on macOS launchd's
 * /usr/bin:/bin:/usr/sbin:/sbin. Windows GUI programs get the same Path as a new console (from the
 * registry), so doctor keeps the current one there.
 */
export const DESKTOP_PATH: Readonly<Record<Platform, string | undefined>> = {
  linux: '/usr/local/bin:/usr/bin:/bin',
  darwin: '/usr/bin:/bin:/usr/sbin:/sbin',
  win32: undefined,
}

/**
 * The environment doctor starts a host with: the current one, with PATH replaced by the desktop session's
 * (or `browserPath`), because that is what a browser started from the desktop passes on to its hosts.
 *
 * @example
 * browserEnv('linux', process.env).PATH // '/usr/local/bin:/usr/bin:/bin'
 */
export function browserEnv(
  platform: Platform,
  env: Readonly<Record<string, string | undefined>>,
  browserPath?: string,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  const path = browserPath ?? DESKTOP_PATH[platform]
  if (path !== undefined) {
    for (const k of Object.keys(out)) if (k.toUpperCase() === 'PATH') delete out[k]
    out.PATH = path
  }
  return out
}

/** The interpreter line of a script: `#!/usr/bin/env node` gives `{ interpreter: '/usr/bin/env', program: 'node' }`. */
export interface Shebang {
  /** The whole first line, without `#!`. */
  line: string
  /** The file the kernel runs (the first word). */
  interpreter: string
  /** For `/usr/bin/env X`, the X that env looks up on PATH. */
  program?: string
}

/**
 * Reads the `#!` line of `file`, or `undefined` when it has none (a binary, or a file it cannot read).
 * On Linux the kernel passes everything after the interpreter as ONE argument, so
 * `#!/usr/bin/env node --flag` makes env look for a program named "node --flag" (unless `env -S` splits it);
 * macOS splits on spaces.
 *
 * @example
 * await readShebang('/opt/acme/host.js') // { line: '/usr/bin/env node', interpreter: '/usr/bin/env', program: 'node' }
 */
export async function readShebang(file: string, platform: Platform): Promise<Shebang | undefined> {
  let head: Buffer
  try {
    const fh = await open(file, 'r')
    try {
      const buf = Buffer.alloc(512)
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
      head = buf.subarray(0, bytesRead)
    } finally {
      await fh.close()
    }
  } catch {
    return undefined
  }
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined
  const nl = head.indexOf(0x0a)
  const line = head
    .subarray(2, nl < 0 ? head.length : nl)
    .toString('utf8')
    .replace(/\r$/, '')
    .trim()
  const m = /^(\S+)\s*(.*)$/.exec(line)
  if (!m) return undefined
  const interpreter = m[1]!
  const rest = m[2]!.trim()
  const out: Shebang = { line, interpreter }
  if (pathFor(platform).basename(interpreter) === 'env' && rest !== '') {
    let words: string[]
    if (/^-S\s*/.test(rest)) words = rest.replace(/^-S\s*/, '').split(/\s+/)
    else words = platform === 'linux' ? [rest] : rest.split(/\s+/)
    // env's own options and VAR=value assignments come before the program.
    const program = words.find((w) => !w.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))
    if (program !== undefined) out.program = program
  }
  return out
}

/** Where `program` is found on `pathList` (a PATH value), or `undefined`. */
export async function findOnPath(
  program: string,
  pathList: string,
  platform: Platform,
): Promise<string | undefined> {
  const p = pathFor(platform)
  for (const dir of pathList.split(platform === 'win32' ? ';' : ':')) {
    if (dir === '') continue
    const candidate = p.join(dir, program)
    if (await isExecutableFile(candidate)) return candidate
  }
  return undefined
}

/** Whether `file` exists, is a file (after symlinks) and may be executed. */
export async function isExecutableFile(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => undefined)
  if (!s?.isFile()) return false
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  )
}
