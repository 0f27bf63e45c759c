import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from '../node/install/errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `util.parseArgs` in strict mode, with its errors turned into one-line {@link UsageError}s that point at
 * the command's --help.
 *
 * @example
 * const { values } = parseCommandArgs('install', argv, { name: { type: 'string' } })
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: positionals,
    })
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new UsageError(`${msg.replace(/\.$/, '')}. See: nmrpc ${command} --help`)
  }
}

/** Values of a repeatable option, also split on commas (`--browser chrome,firefox`). */
export function list(v: string | string[] | boolean | boolean[] | undefined): string[] {
  if (v === undefined || typeof v === 'boolean') return []
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter((x) => x)
}

/** A required string option, or a UsageError naming it. */
export function required(command: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '')
    throw new UsageError(`nmrpc ${command} needs --${name}. See: nmrpc ${command} --help`)
  return v
}

/** The output sinks of a command, so it can be run in-process too. */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}
