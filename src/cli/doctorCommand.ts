import { doctor, type Finding } from '../node/install/doctor.js'
import { UsageError } from '../node/install/errors.js'
import { type Io, list, parseCommandArgs, required } from './args.js'
import { HELP } from './help.js'

const MARK: Record<Finding['level'], string> = { ok: '✓', info: '·', warn: '!', error: '✗' }

/** `nmrpc doctor`: see HELP.doctor. Returns 0 when all is well, 1 when a problem was found. */
export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs('doctor', argv, {
    name: { type: 'string' },
    'extension-id': { type: 'string', multiple: true },
    browser: { type: 'string', multiple: true },
    'user-data-dir': { type: 'string' },
    'no-start': { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (v.help) {
    io.out(HELP.doctor)
    return 0
  }
  const timeoutMs = v.timeout === undefined ? 5000 : Number(v.timeout)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(
      `--timeout ${JSON.stringify(v.timeout)} is not a number of milliseconds, e.g. --timeout 5000.`,
    )
  }
  const report = await doctor({
    name: required('doctor', 'name', v.name),
    extensionIds: list(v['extension-id']),
    browsers: list(v.browser),
    userDataDir: v['user-data-dir'],
    startHost: !v['no-start'],
    timeoutMs,
  })
  if (v.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`)
    return report.ok ? 0 : 1
  }
  const lines = [`nmrpc doctor: ${report.name} on ${report.platform}`]
  let problems = 0
  for (const b of report.browsers) {
    lines.push('', `${b.title} (${b.browser})${b.manifest ? `: ${b.manifest}` : ''}`)
    for (const f of b.findings) {
      if (f.level === 'error') problems++
      lines.push(`  ${MARK[f.level]} ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`)
    }
  }
  lines.push('', report.ok ? 'All good.' : `${problems} problem${problems === 1 ? '' : 's'} found.`)
  io.out(`${lines.join('\n')}\n`)
  return report.ok ? 0 : 1
}
