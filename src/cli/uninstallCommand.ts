import type { Scope } from '../node/install/platform.js'
import { uninstall } from '../node/install/uninstall.js'
import { type Io, parseCommandArgs, required } from './args.js'
import { HELP } from './help.js'

/** `nmrpc uninstall`: see HELP.uninstall. Returns the exit status. */
export async function uninstallCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs('uninstall', argv, {
    name: { type: 'string' },
    scope: { type: 'string' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  })
  if (v.help) {
    io.out(HELP.uninstall)
    return 0
  }
  const r = await uninstall({
    name: required('uninstall', 'name', v.name),
    scope: (v.scope ?? 'user') as Scope,
    dir: v.dir,
    dryRun: v['dry-run'] ?? false,
  })
  if (v.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  const lines = [`${r.dryRun ? 'Would uninstall' : 'Uninstalled'} ${r.name}:`]
  for (const e of r.entries) {
    const what =
      e.kind === 'registry'
        ? `registry ${e.value.hive}\\${e.value.key} (/reg:${e.value.view})`
        : `${e.kind.padEnd(8)} ${e.path}`
    const why =
      e.status === 'kept'
        ? e.kind === 'dir'
          ? '  (not empty)'
          : '  (changed since install; not ours to delete)'
        : ''
    lines.push(`  ${(e.status === 'planned' ? 'remove' : e.status).padEnd(8)} ${what}${why}`)
  }
  io.out(`${lines.join('\n')}\n`)
  return 0
}
