import { UsageError } from '../node/install/errors.js'
import { install } from '../node/install/install.js'
import type { Scope } from '../node/install/platform.js'
import { formatRegCommand } from '../node/install/registry.js'
import { appInstallTarget } from './appInstall.js'
import { type Io, list, parseCommandArgs, required } from './args.js'
import { HELP } from './help.js'

/** `nmrpc install`: see HELP.install. Returns the exit status. */
export async function installCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs('install', argv, {
    name: { type: 'string' },
    host: { type: 'string' },
    'extension-id': { type: 'string', multiple: true },
    browser: { type: 'string', multiple: true },
    scope: { type: 'string' },
    'user-data-dir': { type: 'string' },
    node: { type: 'string' },
    'node-arg': { type: 'string', multiple: true },
    dir: { type: 'string' },
    description: { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    app: { type: 'boolean' },
    launch: { type: 'string' },
  })
  if (v.help) {
    io.out(HELP.install)
    return 0
  }
  const name = required('install', 'name', v.name)
  if (v.launch !== undefined && !v.app)
    throw new UsageError('--launch goes with --app. See: nmrpc install --help')
  if (v.app && v.host !== undefined)
    throw new UsageError(
      '--app registers the nmrpc relay, so --host is not used; drop it. See: nmrpc install --help',
    )
  // App mode: the browser starts `nmrpc relay <name>`, which reaches the running app (see docs/CLI.md).
  const app = v.app ? appInstallTarget(name, v.launch) : undefined
  const r = await install({
    name,
    host: app ? app.host : required('install', 'host', v.host),
    hostArgs: app?.hostArgs,
    extensionIds: list(v['extension-id']),
    browsers: list(v.browser),
    scope: (v.scope ?? 'user') as Scope,
    userDataDir: v['user-data-dir'],
    node: v.node,
    nodeArgs: v['node-arg'] ?? [],
    dir: v.dir,
    description: v.description,
    dryRun: v['dry-run'] ?? false,
    force: v.force ?? false,
  })
  if (v.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  const lines = [
    `${r.dryRun ? 'Would install' : 'Installed'} ${r.name} for ${r.browsers.join(', ')} (${r.scope} scope):`,
  ]
  for (const a of r.actions) {
    const who = a.kind === 'file' && a.role === 'launcher' ? '' : `  (${a.browsers.join(', ')})`
    if (a.kind === 'file') lines.push(`  ${a.status.padEnd(9)} ${a.role.padEnd(8)} ${a.path}${who}`)
    else
      lines.push(
        `  ${a.status.padEnd(9)} registry ${a.value.hive}\\${a.value.key} (/reg:${a.value.view})${who}`,
      )
    if (r.dryRun) {
      const body = a.kind === 'file' ? a.content : `${formatRegCommand(a.command)}\n`
      lines.push(
        ...body
          .trimEnd()
          .split(/\r?\n/)
          .map((l) => `      | ${l}`),
      )
    }
  }
  for (const s of r.skipped) lines.push(`  skipped   ${s.browser}: ${s.reason}`)
  // doctor only looks in a custom profile when told to, so the hint must carry the same --user-data-dir.
  const profile = v['user-data-dir'] ? ` --user-data-dir ${JSON.stringify(v['user-data-dir'])}` : ''
  const dir = v.dir ? ` --dir ${JSON.stringify(v.dir)}` : ''
  if (!r.dryRun) lines.push(`Check it with: nmrpc doctor --name ${r.name}${profile}${dir}`)
  io.out(`${lines.join('\n')}\n`)
  return 0
}
