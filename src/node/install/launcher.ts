import type { Platform } from './platform.js'

/** Quotes `s` for POSIX sh: single quotes, with each `'` written as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/**
 * The launcher a manifest points at: it runs the host file with the node binary that ran `nmrpc install`.
 * Browsers start hosts with their own environment (a GUI session's PATH often lacks nvm's or Homebrew's
 * node), so the launcher names node by absolute path instead of trusting `#!/usr/bin/env node`; and in the
 * launcher's folder, so it changes to the host file's folder first, as `spawnHost` does.
 * POSIX gets an `sh` script that `exec`s (so the browser's kill reaches node); Windows gets a `.cmd` with
 * CRLF line ends, `@echo off` (echoed commands would corrupt stdout) and `%*` passing the browser's arguments.
 *
 * @example
 * launcherScript('linux', 'com.acme.app', '/usr/bin/node', '/opt/acme/host.js')
 * // "#!/bin/sh\n...exec '/usr/bin/node' '/opt/acme/host.js' \"$@\"\n"
 */
export function launcherScript(
  platform: Platform,
  name: string,
  nodePath: string,
  hostPath: string,
  nodeArgs: readonly string[] = [],
  hostArgs: readonly string[] = [],
): string {
  if (platform === 'win32') {
    return [
      '@echo off',
      `rem nmrpc launcher for native host ${name}; written by "nmrpc install", removed by "nmrpc uninstall".`,
      `cd /d "${win32Dirname(hostPath)}"`,
      [nodePath, ...nodeArgs, hostPath, ...hostArgs].map((a) => `"${a}"`).join(' ') + ' %*',
      '',
    ].join('\r\n')
  }
  return [
    '#!/bin/sh',
    `# nmrpc launcher for native host ${name}; written by "nmrpc install", removed by "nmrpc uninstall".`,
    '# Browsers start hosts with their own PATH, so this names the node that ran the install, and in the',
    "# launcher's folder, so this moves to the host's own folder (relative imports and --import resolve there).",
    `cd ${shQuote(posixDirname(hostPath))} || exit 1`,
    `exec ${[nodePath, ...nodeArgs, hostPath, ...hostArgs].map(shQuote).join(' ')} "$@"`,
    '',
  ].join('\n')
}

function posixDirname(p: string): string {
  const i = p.lastIndexOf('/')
  return i <= 0 ? '/' : p.slice(0, i)
}

function win32Dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'))
  return i <= 2 ? p.slice(0, 3) : p.slice(0, i)
}

/** The launcher's file name on `platform`. */
export function launcherFileName(platform: Platform): string {
  return platform === 'win32' ? 'launcher.cmd' : 'launcher.sh'
}
