import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { atomicWrite } from './atomicWrite.js'
import { UsageError } from './errors.js'
import { type InstallOptions, type InstallPlan, type PlannedAction, planInstall } from './plan.js'
import { currentInstallEnv } from './platform.js'
import { type ReceiptEntry, recordEntries, sha256 } from './receipt.js'
import { parseRegQueryDefault, regQuery, runReg } from './registry.js'

/** What happened to one planned action: `planned` in a dry run, else `written` or `unchanged`. */
export type ActionStatus = 'planned' | 'written' | 'unchanged'

export interface InstallResult extends InstallPlan {
  dryRun: boolean
  actions: (PlannedAction & { status: ActionStatus })[]
}

/**
 * Registers a native host: writes the launcher and the manifests (and, on Windows, the registry values)
 * for the chosen browsers, then a receipt that {@link uninstall} uses to remove exactly these again.
 * Idempotent: files whose content is already right are left alone (`unchanged`). Every file is written
 * atomically. With `dryRun`, nothing is written and every action is `planned`.
 *
 * @example
 * import { install } from 'nmrpc/node'
 * // What an e2e test does for a Chromium started with --user-data-dir:
 * await install({ name: 'com.acme.app', host: '/abs/host.js', extensionIds: [extId],
 *   userDataDir: profileDir, dir: join(tmp, 'nmrpc') })
 */
export async function install(options: InstallOptions): Promise<InstallResult> {
  const ienv = options.env ?? currentInstallEnv()
  const plan = planInstall({ ...options, env: ienv })
  if (options.dryRun) {
    return { ...plan, dryRun: true, actions: plan.actions.map((a) => ({ ...a, status: 'planned' as const })) }
  }
  const real = currentInstallEnv().platform
  if (ienv.platform !== real) {
    throw new UsageError(`Cannot write a ${ienv.platform} install on ${real}; use dryRun to see the plan.`)
  }
  const done: InstallResult['actions'] = []
  const receipt: ReceiptEntry[] = []
  for (const a of plan.actions) {
    if (a.kind === 'file') {
      const current = await readFile(a.path, 'utf8').catch(() => undefined)
      const same = current === a.content
      if (!same) {
        // Remember the folders this creates (e.g. ~/.config/chromium/NativeMessagingHosts), so uninstall
        // can remove them again: a leftover profile folder would make the browser look installed.
        const first = await mkdir(path.dirname(a.path), { recursive: true })
        if (first) {
          for (let d = path.dirname(a.path); d.startsWith(first); d = path.dirname(d))
            receipt.push({ kind: 'dir', path: d })
        }
        await atomicWrite(a.path, a.content, a.mode)
      }
      done.push({ ...a, status: same ? 'unchanged' : 'written' })
      receipt.push({ kind: 'file', path: a.path, sha256: sha256(a.content) })
    } else {
      const q = await runReg(regQuery(a.value))
      const same = q.ok && parseRegQueryDefault(q.stdout) === a.data
      if (!same) {
        const r = await runReg(a.command)
        if (!r.ok) {
          const admin = a.value.hive === 'HKLM' ? ' HKLM needs an elevated (Administrator) prompt.' : ''
          throw new Error(
            `reg.exe could not set ${a.value.hive}\\${a.value.key}: ${r.stderr.trim()}.${admin}`,
          )
        }
      }
      done.push({ ...a, status: same ? 'unchanged' : 'written' })
      receipt.push({ kind: 'registry', value: a.value, data: a.data })
    }
  }
  await recordEntries(plan.hostDir, plan.platform, plan.name, receipt)
  return { ...plan, dryRun: false, actions: done }
}
