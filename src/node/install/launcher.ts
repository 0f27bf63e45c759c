import type { Platform } from './platform.js'

/** Quotes `s` for POSIX sh: single quotes, with each `'` written as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/**
 * The launcher a manifest points at: it runs the host file with the node binary that ran `nmrpc install`.
 * Browsers start hosts with their own environment (a GUI session's PATH often lacks nvm's or Homebrew's
 * node), so the launcher names node by absolute path instead of trusting `#!/usr/bin/env node`.
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
): string {
  if (platform === 'win32') {
    return [
      '@echo off',
      `rem nmrpc launcher for native host ${name}; written by "nmrpc install", removed by "nmrpc uninstall".`,
      [nodePath, ...nodeArgs, hostPath].map((a) => `"${a}"`).join(' ') + ' %*',
      '',
    ].join('\r\n')
  }
  return [
    '#!/bin/sh',
    `# nmrpc launcher for native host ${name}; written by "nmrpc install", removed by "nmrpc uninstall".`,
    '# Browsers start hosts with their own PATH, so this names the node that ran the install.',
    `exec ${[nodePath, ...nodeArgs, hostPath].map(shQuote).join(' ')} "$@"`,
    '',
  ].join('\n')
}

/** The launcher's file name on `platform`. */
export function launcherFileName(platform: Platform): string {
  return platform === 'win32' ? 'launcher.cmd' : 'launcher.sh'
}
