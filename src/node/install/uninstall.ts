import { existsSync } from 'node:fs'
import { readFile, rm, rmdir } from 'node:fs/promises'
import { validateHostName } from './names.js'
import { hostDirFor } from './plan.js'
import { currentInstallEnv, type InstallEnv, type Platform, pathFor, type Scope } from './platform.js'
import { RECEIPT_FILE, type ReceiptEntry, readReceipt, receiptPath, sha256 } from './receipt.js'
import { regDelete, runReg } from './registry.js'

export interface UninstallOptions {
  name: string
  /** @default 'user' */
  scope?: Scope
  /** The `dir` given to install, if any. */
  dir?: string
  dryRun?: boolean
  env?: InstallEnv
}

export interface UninstallResult {
  name: string
  platform: Platform
  hostDir: string
  dryRun: boolean
  /**
   * `removed`; `planned` (dry run); `absent` (already gone); `kept` (changed since install, so it is no
   * longer nmrpc's to delete).
   */
  entries: (ReceiptEntry & { status: 'removed' | 'planned' | 'absent' | 'kept' })[]
}

/**
 * Removes what {@link install} wrote for host `name` (launcher, manifests, registry values), as listed
 * in its receipt, then the receipt and the folder if empty. A manifest someone changed since the install
 * is kept and reported as `kept`.
 *
 * @example
 * await uninstall({ name: 'com.acme.app' })
 */
export async function uninstall(o: UninstallOptions): Promise<UninstallResult> {
  const ienv = o.env ?? currentInstallEnv()
  validateHostName(o.name)
  const hostDir = hostDirFor(o.name, o.scope ?? 'user', ienv, o.dir)
  const receipt = await readReceipt(hostDir, ienv.platform)
  if (!receipt) {
    // Not a usage mistake: the command was right, there is just nothing of nmrpc's there (exit status 1).
    throw new Error(
      `Nothing to uninstall: no receipt at ${receiptPath(hostDir, ienv.platform)}. ` +
        'Was the host installed with another --scope or --dir?',
    )
  }
  const entries: UninstallResult['entries'] = []
  const dirs: string[] = []
  for (const e of receipt.entries) {
    if (e.kind === 'dir') {
      dirs.push(e.path)
      continue
    }
    if (e.kind === 'file') {
      const current = await readFile(e.path, 'utf8').catch(() => undefined)
      if (current === undefined) entries.push({ ...e, status: 'absent' })
      else if (sha256(current) !== e.sha256) entries.push({ ...e, status: 'kept' })
      else {
        if (!o.dryRun) await rm(e.path, { force: true })
        entries.push({ ...e, status: o.dryRun ? 'planned' : 'removed' })
      }
    } else {
      if (o.dryRun) entries.push({ ...e, status: 'planned' })
      else {
        const r = await runReg(regDelete(e.value))
        entries.push({ ...e, status: r.ok ? 'removed' : 'absent' })
      }
    }
  }
  if (!o.dryRun) {
    await rm(receiptPath(hostDir, ienv.platform), { force: true })
    // Only empty folders go, deepest first: anything left in one is not ours.
    await rmdir(hostDir).catch(() => {})
    for (const d of dirs.sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => {})
    // nmrpc's own data folder (~/.local/share/nmrpc ...) goes with its last host, whichever install created it.
    if (o.dir === undefined) {
      const base = pathFor(ienv.platform).dirname(hostDir)
      if (
        !dirs.includes(base) &&
        (await rmdir(base).then(
          () => true,
          () => false,
        ))
      )
        dirs.push(base)
    }
  }
  for (const d of dirs)
    entries.push({ kind: 'dir', path: d, status: o.dryRun ? 'planned' : existsSync(d) ? 'kept' : 'removed' })
  return { name: o.name, platform: ienv.platform, hostDir, dryRun: !!o.dryRun, entries }
}

export { RECEIPT_FILE }
