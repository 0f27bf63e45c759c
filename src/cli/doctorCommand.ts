import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { type DoctorReport, doctor, type Finding } from '../node/install/doctor.js'
import { UsageError } from '../node/install/errors.js'
import { hostDirFor } from '../node/install/plan.js'
import { currentInstallEnv } from '../node/install/platform.js'
import { RECEIPT_FILE } from '../node/install/receipt.js'
import { type Io, list, parseCommandArgs } from './args.js'
import { HELP } from './help.js'

const MARK: Record<Finding['level'], string> = { ok: '✓', info: '·', warn: '!', error: '✗' }

/** `nmrpc doctor`: see HELP.doctor. Returns 0 when all is well, 1 when a problem was found. */
export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs('doctor', argv, {
    name: { type: 'string' },
    'extension-id': { type: 'string', multiple: true },
    browser: { type: 'string', multiple: true },
    'user-data-dir': { type: 'string' },
    dir: { type: 'string' },
    'browser-path': { type: 'string' },
    'no-start': { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (v.help) {
    io.out(HELP.doctor)
    return 0
  }
  const timeoutMs = v.timeout === undefined ? 30_000 : Number(v.timeout)
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(
      `--timeout ${JSON.stringify(v.timeout)} is not a number of milliseconds, e.g. --timeout 60000.`,
    )
  }
  // Without --name: every host nmrpc install has a receipt for, for this user and system-wide.
  const names = v.name !== undefined ? [v.name] : installedHostNames(v.dir)
  if (names.length === 0) {
    // The command was right; there is just nothing to check (exit status 1, not a usage mistake).
    throw new Error(
      'No --name given and no host installed by nmrpc was found (no receipt in the nmrpc folders). ' +
        'Name one with --name, or pass the --dir it was installed with.',
    )
  }
  const reports = []
  for (const name of names) {
    reports.push(
      await doctor({
        name,
        extensionIds: list(v['extension-id']),
        browsers: list(v.browser),
        userDataDir: v['user-data-dir'],
        startHost: !v['no-start'],
        timeoutMs,
        ...(v.dir === undefined ? {} : { dir: v.dir }),
        ...(v['browser-path'] === undefined ? {} : { browserPath: v['browser-path'] }),
        // stderr, so that --json output stays one document and a quick host prints nothing extra.
        onProgress: (m) => io.err(`nmrpc doctor: ${m}\n`),
      }),
    )
  }
  const ok = reports.every((r) => r.ok)
  if (v.json) {
    io.out(`${JSON.stringify(v.name !== undefined ? reports[0] : reports, null, 2)}\n`)
    return ok ? 0 : 1
  }
  for (const report of reports) io.out(formatReport(report))
  return ok ? 0 : 1
}

function installedHostNames(dir: string | undefined): string[] {
  const env = currentInstallEnv()
  const names = new Set<string>()
  if (dir !== undefined) {
    try {
      const r: unknown = JSON.parse(readFileSync(path.join(dir, RECEIPT_FILE), 'utf8'))
      const name = typeof r === 'object' && r !== null ? (r as { name?: unknown }).name : undefined
      if (typeof name === 'string') names.add(name)
    } catch {}
    return [...names]
  }
  for (const scope of ['user', 'system'] as const) {
    const base = path.dirname(hostDirFor('x', scope, env))
    let entries: string[] = []
    try {
      entries = readdirSync(base)
    } catch {}
    for (const e of entries) if (existsSync(path.join(base, e, RECEIPT_FILE))) names.add(e)
  }
  return [...names].sort()
}

function formatReport(report: DoctorReport): string {
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
  return `${lines.join('\n')}\n`
}
