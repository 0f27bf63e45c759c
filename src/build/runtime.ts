// The first code a built host runs. It stays small and imports the install/doctor code only when asked
// for it, so that a browser-started host pays nothing for its self-registration (cold start is measured
// in bench/). The generated entry of `nmrpc build` calls `launch` with the baked config.
import { setBuiltHostDefaults } from '../server/builtHost.js'
import type { BuiltConfig } from './config.js'
import { launchMode } from './launchMode.js'

/**
 * Starts a built host: serves the host when a browser started it, otherwise runs the built file's own
 * commands (`--install`, `--uninstall`, `--doctor`, `--version`, `--help`). Sets `process.exitCode`.
 *
 * @example
 * // What `nmrpc build` generates as the bundle's entry:
 * launch({ name: 'com.acme.app', extensionIds: ['app@acme.com'], description: '', nmrpcVersion: '0.1.0',
 *   kind: 'bundle' }, () => import('./host.ts'))
 */
export function launch(config: BuiltConfig, loadHost: () => Promise<unknown>): void {
  const argv = process.argv.slice(2)
  const mode = launchMode(argv, process.stdin.isTTY === true)
  if (mode === 'host') {
    // Before the host is defined: its default allowedCallers are the ids baked in (see builtHost.ts).
    setBuiltHostDefaults({ name: config.name, allowedCallers: config.extensionIds })
    loadHost().catch((e: unknown) => {
      process.stderr.write(`${config.name}: the host failed to start: ${describe(e)}\n`)
      process.exitCode = 1
    })
    return
  }
  import('./selfCommand.js')
    .then(({ selfCommand }) =>
      selfCommand(config, mode === 'help' ? ['--help'] : argv, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      }),
    )
    .then(
      (code) => {
        process.exitCode = code
      },
      (e: unknown) => {
        process.stderr.write(`${config.name}: ${describe(e)}\n`)
        process.exitCode = 1
      },
    )
}

function describe(e: unknown): string {
  return e instanceof Error ? (process.env.NMRPC_DEBUG ? (e.stack ?? e.message) : e.message) : String(e)
}
