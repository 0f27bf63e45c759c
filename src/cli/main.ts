#!/usr/bin/env node
import { UsageError } from '../node/install/errors.js'
import { VERSION } from '../shared/version.js'
import type { Io } from './args.js'
import { buildCommand } from './buildCommand.js'
import { callCommand } from './callCommand.js'
import { doctorCommand } from './doctorCommand.js'
import { HELP } from './help.js'
import { installCommand } from './installCommand.js'
import { relayCommand } from './relayCommand.js'
import { uninstallCommand } from './uninstallCommand.js'

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  install: installCommand,
  uninstall: uninstallCommand,
  doctor: doctorCommand,
  call: callCommand,
  build: buildCommand,
  relay: relayCommand,
}

/**
 * Runs the nmrpc CLI on `argv` (without node and the script) and returns the exit status: 0 success,
 * 1 a failed check or call, 2 a usage mistake (printed as one line, never a stack trace).
 *
 * @example
 * process.exitCode = await main(['doctor', '--name', 'com.acme.app'], io)
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(HELP.main)
      return command === undefined ? 2 : 0
    }
    if (command === '--version' || command === '-v') {
      io.out(`${VERSION}\n`)
      return 0
    }
    const run = COMMANDS[command]
    if (!run)
      throw new UsageError(
        `Unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}. See: nmrpc --help`,
      )
    return await run(rest, io)
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nmrpc: ${e.message}\n`)
      return 2
    }
    // Not the user's mistake: say so, and keep the stack for a bug report when asked.
    const err = e instanceof Error ? e : new Error(String(e))
    io.err(`nmrpc ${command}: ${err.message}\n`)
    if (process.env.NMRPC_DEBUG) io.err(`${err.stack}\n`)
    return 1
  }
}

const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`nmrpc: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  },
)
