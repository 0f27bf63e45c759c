import path from 'node:path'
import { buildHost } from '../build/buildHost.js'
import { UsageError } from '../node/install/errors.js'
import { type Io, list, parseCommandArgs, required } from './args.js'
import { HELP } from './help.js'

/** `nmrpc build`: see HELP.build. Returns the exit status. */
export async function buildCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(
    'build',
    argv,
    {
      name: { type: 'string' },
      'extension-id': { type: 'string', multiple: true },
      out: { type: 'string' },
      sea: { type: 'boolean' },
      'node-binary': { type: 'string' },
      description: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  )
  if (v.help) {
    io.out(HELP.build)
    return 0
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `nmrpc build takes one host entry file (the one calling host.listen()), got ${positionals.length}: ` +
        `${positionals.map((p) => JSON.stringify(p)).join(' ') || 'none'}. See: nmrpc build --help`,
    )
  }
  const r = await buildHost({
    entry: positionals[0]!,
    name: required('build', 'name', v.name),
    extensionIds: list(v['extension-id']),
    out: v.out,
    sea: v.sea ?? false,
    nodeBinary: v['node-binary'],
    description: v.description,
    log: v.json ? undefined : (line) => io.err(`nmrpc build: ${line}\n`),
  })
  if (v.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p)
    return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r
  }
  const lines = [`Built ${r.name}:`]
  lines.push(
    `  ${rel(r.bundle.path)}  ${mib(r.bundle.bytes)}, ${r.bundle.modules} modules; runs with node >= 20`,
  )
  if (r.sea)
    lines.push(
      `  ${rel(r.sea.path)}  ${mib(r.sea.bytes)}, single executable (${r.sea.platform}, Node ${r.sea.node})`,
    )
  // A bare file name would be looked up on PATH by the shell.
  const sea = r.sea ? rel(r.sea.path) : ''
  const run = r.sea ? (sea.includes(path.sep) ? sea : `.${path.sep}${sea}`) : `node ${rel(r.bundle.path)}`
  lines.push(`Your users register it with: ${run} --install`)
  for (const n of r.notes) lines.push(`Note: ${n}`)
  io.out(`${lines.join('\n')}\n`)
  return 0
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`
}
