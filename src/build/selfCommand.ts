import { realpathSync } from 'node:fs'
import path from 'node:path'
import type { ParseArgsConfig } from 'node:util'
import { type Io, list, parseCommandArgs } from '../cli/args.js'
import { doctorCommand } from '../cli/doctorCommand.js'
import { uninstallCommand } from '../cli/uninstallCommand.js'
import { UsageError } from '../node/install/errors.js'
import { install } from '../node/install/install.js'
import type { Scope } from '../node/install/platform.js'
import type { BuiltConfig } from './config.js'
import { removeCodeCaches } from './codeCache.js'

/** The help of a built host, naming it as the user typed it. */
export function selfHelp(config: BuiltConfig, self: string): string {
  const what =
    config.kind === 'sea'
      ? 'a single executable (Node inside; nothing else to install)'
      : `a bundle for Node >= 20 (the install pins the node that runs it: ${process.execPath})`
  return `${config.name}: native messaging host built with nmrpc ${config.nmrpcVersion}, ${what}.
Browsers start it by themselves once it is registered. Allowed extensions: ${config.extensionIds.join(', ')}

Usage: ${self} <command> [options]

Commands:
  --install     register this host for your browsers (every installed one, or those named)
  --uninstall   remove exactly what --install wrote
  --doctor      check the registration the way each browser will meet it, and start the host
  --version     print the host name and nmrpc version
  --help        this text

Options of --install:
  --browser ID         repeatable or comma-separated: chrome, chromium, edge, brave, vivaldi, opera, firefox, ...
  --system             for all users (needs root / Administrator) instead of just you
  --user-data-dir DIR  for a Chromium started with --user-data-dir DIR
  --dir DIR            where the receipt goes (default: a per-user or system nmrpc folder)
  --dry-run            print what would be written, write nothing
  --json               print the result as JSON
Options of --uninstall: --system, --dir DIR, --dry-run, --json (the same as given to --install)
Options of --doctor: --browser ID, --user-data-dir DIR, --no-start, --timeout MS, --json

Examples:
  ${self} --install
  ${self} --install --browser firefox
  ${self} --doctor
  ${self} --uninstall
`
}

/**
 * Runs one command of a built host (`--install`, `--uninstall`, `--doctor`, `--version`, `--help`) and
 * returns its exit status: 0 success, 1 a failed check, 2 a usage mistake. The work is done by the same
 * functions as `nmrpc install`, `nmrpc uninstall` and `nmrpc doctor`, with the baked name and extension
 * ids; the manifests name this very file (a single executable) or a launcher that runs this bundle with
 * the node running it now.
 *
 * @example
 * process.exitCode = await selfCommand(config, ['--install', '--browser', 'firefox'], io)
 */
export async function selfCommand(config: BuiltConfig, argv: string[], io: Io): Promise<number> {
  const self = selfPath(config)
  const [command, ...rest] = argv
  try {
    switch (command) {
      case '--help':
      case '-h':
        io.out(selfHelp(config, path.basename(process.argv[1] ?? self)))
        return 0
      case '--version':
      case '-v':
        io.out(`${config.name} (nmrpc ${config.nmrpcVersion}, ${config.kind}, Node ${process.version})\n`)
        return 0
      case '--install':
      case '--uninstall':
      case '--doctor':
        if (rest.includes('--help') || rest.includes('-h')) {
          io.out(selfHelp(config, path.basename(process.argv[1] ?? self)))
          return 0
        }
        if (command === '--install') return await selfInstall(config, self, rest, io)
        if (command === '--uninstall') return await selfUninstall(config, rest, io)
        return await selfDoctor(config, rest, io)
      default:
        throw new UsageError(
          `Unknown command ${JSON.stringify(command)}. This is the native host ${config.name}; ` +
            'it answers --install, --uninstall, --doctor, --version and --help.',
        )
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${config.name}: ${e.message}\n`)
      return 2
    }
    const err = e instanceof Error ? e : new Error(String(e))
    io.err(`${config.name} ${command}: ${err.message}\n`)
    if (process.env.NMRPC_DEBUG) io.err(`${err.stack}\n`)
    return 1
  }
}

/** The file the manifests must start: this executable, or the bundle node is running. */
function selfPath(config: BuiltConfig): string {
  const file = config.kind === 'sea' ? process.execPath : path.resolve(process.argv[1] ?? '')
  try {
    // A symlink (e.g. in /usr/local/bin) may be moved or removed; the real file is what was shipped.
    return realpathSync(file)
  } catch {
    return file
  }
}

function scopeOf(system: boolean | undefined): Scope {
  return system ? 'system' : 'user'
}

async function selfInstall(config: BuiltConfig, self: string, argv: string[], io: Io): Promise<number> {
  const { values: v } = parseSelf('--install', argv, {
    browser: { type: 'string', multiple: true },
    system: { type: 'boolean' },
    'user-data-dir': { type: 'string' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  })
  const r = await install({
    name: config.name,
    host: self,
    executable: config.kind === 'sea',
    node: process.execPath,
    extensionIds: config.extensionIds,
    browsers: list(v.browser),
    scope: scopeOf(v.system),
    userDataDir: v['user-data-dir'],
    dir: v.dir,
    description: config.description,
    dryRun: v['dry-run'] ?? false,
  })
  if (v.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  const lines = [
    `${r.dryRun ? 'Would install' : 'Installed'} ${r.name} for ${r.browsers.join(', ')} (${r.scope} scope):`,
  ]
  for (const a of r.actions) {
    if (a.kind === 'file') {
      const who = a.role === 'launcher' ? '' : `  (${a.browsers.join(', ')})`
      lines.push(`  ${a.status.padEnd(9)} ${a.role.padEnd(8)} ${a.path}${who}`)
    } else {
      lines.push(
        `  ${a.status.padEnd(9)} registry ${a.value.hive}\\${a.value.key} (/reg:${a.value.view})  (${a.browsers.join(', ')})`,
      )
    }
  }
  for (const s of r.skipped) lines.push(`  skipped   ${s.browser}: ${s.reason}`)
  if (!r.dryRun) {
    const me = shellWord(self, config)
    const profile = v['user-data-dir'] ? ` --user-data-dir ${JSON.stringify(v['user-data-dir'])}` : ''
    const where = [v.system ? ' --system' : '', v.dir ? ` --dir ${JSON.stringify(v.dir)}` : ''].join('')
    lines.push(`Check it with: ${me} --doctor${profile}`, `Remove it with: ${me} --uninstall${where}`)
    if (config.kind === 'bundle')
      lines.push(`The launcher runs ${self} with ${process.execPath}: install again if you move either.`)
    else lines.push(`The manifests name ${self}: install again if you move it.`)
  }
  io.out(`${lines.join('\n')}\n`)
  return 0
}

async function selfUninstall(config: BuiltConfig, argv: string[], io: Io): Promise<number> {
  // Checked here so that a mistake names this file's commands; uninstallCommand then does the work, so
  // `--uninstall` and `nmrpc uninstall` remove and report the same way.
  const { values: v } = parseSelf('--uninstall', argv, {
    system: { type: 'boolean' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  })
  const code = await uninstallCommand(
    [
      '--name',
      config.name,
      '--scope',
      scopeOf(v.system),
      ...(v.dir !== undefined ? ['--dir', v.dir] : []),
      ...(v['dry-run'] ? ['--dry-run'] : []),
      ...(v.json ? ['--json'] : []),
    ],
    io,
  )
  // The bundle's V8 code cache (src/build/codeCache.ts) is this user's cache, not part of the install:
  // it goes with the user's uninstall (also when nothing was registered), quietly, so the printed list
  // stays exactly what --install wrote.
  if (!v['dry-run'] && !v.system) removeCodeCaches(config.name)
  return code
}

async function selfDoctor(config: BuiltConfig, argv: string[], io: Io): Promise<number> {
  // Checked here so that a mistake names this file's commands; doctorCommand then does the work.
  parseSelf('--doctor', argv, {
    browser: { type: 'string', multiple: true },
    'user-data-dir': { type: 'string' },
    'no-start': { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  })
  const ids = config.extensionIds.flatMap((id) => ['--extension-id', id])
  return doctorCommand(['--name', config.name, ...ids, ...argv], io)
}

function parseSelf<O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O) {
  try {
    return parseCommandArgs(command, argv, options)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    // parseCommandArgs points at "nmrpc <command> --help"; a built file has its own --help.
    throw new UsageError(e.message.replace(/See: nmrpc .*$/, 'See: --help'))
  }
}

/** How to type this file again in a shell: a bare name would not be found on PATH. */
function shellWord(self: string, config: BuiltConfig): string {
  const file = /^[\w./:\\-]+$/.test(self) ? self : JSON.stringify(self)
  return config.kind === 'sea' ? file : `${process.execPath} ${file}`
}
