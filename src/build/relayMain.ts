// The host part of a relay made by `nmrpc build --app`: the same `nmrpc relay` code the CLI runs (one
// implementation, two doors), with the baked name and --launch command in front of the browser's arguments.
import { relayCommand } from '../cli/relayCommand.js'
import type { BuiltConfig } from './config.js'

/**
 * Relays this process's stdio (a browser's connection) to the running app named in `config`, exactly as
 * `nmrpc relay <name> [--launch <command>] -- <browser args>` does, and sets `process.exitCode`.
 *
 * @example
 * // What `nmrpc build --app` generates as the bundle's entry:
 * launch(config, () => import('./relayMain.js').then((m) => m.runBuiltRelay(config)))
 */
export async function runBuiltRelay(config: BuiltConfig): Promise<void> {
  const launch = config.app?.launch
  // "--" ends the relay's options: whatever the browser passes is handed to the app verbatim.
  const argv = [config.name, ...(launch ? ['--launch', launch] : []), '--', ...process.argv.slice(2)]
  process.exitCode = await relayCommand(argv, {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  })
}
