import { chmodSync, lstatSync, mkdirSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/** Where an app serves (`host.serve`) and where `nmrpc relay` looks for it. */
export interface AppEndpoint {
  /** `unix`: a Unix domain socket file; `pipe`: a Windows named pipe. */
  kind: 'unix' | 'pipe'
  /** What `net.connect` / `server.listen` take: the socket's path or the pipe's name. */
  path: string
  /** The per-user folder that holds the socket (Unix only); it must be 0700 and ours. */
  dir?: string
}

export interface EndpointEnv {
  /** `process.platform` by default. Typed as a string so the client's view of the host needs no @types/node. */
  platform?: string
  env?: Record<string, string | undefined>
  /** @default os.tmpdir() */
  tmpdir?: string
  /** @default process.getuid() */
  uid?: number
  /** Windows user name for the pipe. @default os.userInfo().username */
  user?: string
}

const NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/
/** sun_path is 108 bytes on Linux and 104 on macOS, both counting the terminating NUL. */
const MAX_SOCKET_PATH: Partial<Record<string, number>> = { linux: 107, darwin: 103 }

/**
 * The endpoint of the app named `name` for the current user: `$XDG_RUNTIME_DIR/nmrpc/<name>.sock` on Linux
 * (or `<tmp>/nmrpc-<uid>/<name>.sock` when XDG_RUNTIME_DIR is unset), `<per-user temp>/nmrpc/<name>.sock`
 * on macOS, `\\.\pipe\nmrpc-<user>-<name>` on Windows. Throws when the name is not a native host name or
 * the socket path would be too long for the OS.
 *
 * @example
 * appEndpoint('com.acme.app', { env: { XDG_RUNTIME_DIR: '/run/user/1000' }, platform: 'linux' })
 * // { kind: 'unix', path: '/run/user/1000/nmrpc/com.acme.app.sock', dir: '/run/user/1000/nmrpc' }
 */
export function appEndpoint(name: string, e: EndpointEnv = {}): AppEndpoint {
  if (!NAME.test(name))
    throw new TypeError(
      `App name ${JSON.stringify(name)} is not a native messaging host name: use lowercase letters, digits, ` +
        '"_" and single inner dots, e.g. "com.acme.app" (the name the extension passes to connectNative)',
    )
  const platform = e.platform ?? process.platform
  const env = e.env ?? process.env
  if (platform === 'win32') {
    const user = (e.user ?? safeUser()).replace(/[^A-Za-z0-9_.-]/g, '_')
    return { kind: 'pipe', path: `\\\\.\\pipe\\nmrpc-${user}-${name}` }
  }
  const tmp = e.tmpdir ?? tmpdir()
  const xdg = platform === 'darwin' ? undefined : env.XDG_RUNTIME_DIR
  // macOS's TMPDIR is already per user (/var/folders/..); elsewhere the shared /tmp needs a per-uid folder.
  const dir = xdg
    ? join(xdg, 'nmrpc')
    : platform === 'darwin'
      ? join(tmp, 'nmrpc')
      : join(tmp, `nmrpc-${e.uid ?? process.getuid?.() ?? 'user'}`)
  const path = join(dir, `${name}.sock`)
  const max = MAX_SOCKET_PATH[platform]
  if (max !== undefined && Buffer.byteLength(path) > max)
    throw new RangeError(
      `The socket path for app "${name}" (${path}) is ${Buffer.byteLength(path)} bytes; ${platform} allows ` +
        `at most ${max}. Point XDG_RUNTIME_DIR (or TMPDIR) at a shorter folder, or use a shorter name`,
    )
  return { kind: 'unix', path, dir }
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'user'
  }
}

/**
 * Makes sure the endpoint's folder exists, is a real folder (not a symlink), belongs to this user and is
 * 0700, so no other user can reach the socket inside it. With `create: false` it only checks, and returns
 * false when the folder does not exist. Throws a clear error for a folder someone else owns.
 *
 * @example
 * secureEndpointDir('/run/user/1000/nmrpc') // true, now 0700
 */
export function secureEndpointDir(dir: string, create = true): boolean {
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
  let st: ReturnType<typeof lstatSync>
  try {
    st = lstatSync(dir)
  } catch (e) {
    if (!create && (e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw e
  }
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new Error(
      `The app endpoint folder ${dir} is not a plain folder (a symlink or a file); remove it, and nmrpc makes a new one`,
    )
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid)
    throw new Error(
      `The app endpoint folder ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}), so its socket ` +
        "could be someone else's; remove the folder, or set XDG_RUNTIME_DIR to a folder of your own",
    )
  if ((st.mode & 0o077) !== 0) {
    if (!create)
      throw new Error(
        `The app endpoint folder ${dir} has mode ${(st.mode & 0o777).toString(8)}; it must be 700 so only ` +
          'you can reach the app. Restart the app (it fixes the mode) or run chmod 700 on it',
      )
    chmodSync(dir, 0o700)
  }
  return true
}
