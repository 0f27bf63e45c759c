import { mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { atomicWrite } from './atomicWrite.js'
import { findOnPath, isExecutableFile } from './browserEnv.js'
import { InstallRefused, UsageError } from './errors.js'
import { type InstallOptions, type InstallPlan, type PlannedAction, planInstall } from './plan.js'
import { currentInstallEnv, type InstallEnv } from './platform.js'
import { type ReceiptEntry, type ReceiptTargets, recordEntries, sha256 } from './receipt.js'
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
  // Files can be checked only on the machine they are on: a plan for another OS is just a plan.
  const here = ienv.platform === currentInstallEnv().platform
  const node = here ? await resolveNode(options.node, ienv) : options.node
  const plan = planInstall({ ...options, env: ienv, ...(node === undefined ? {} : { node }) })
  if (here && !options.force) await refuseMissingFiles(options.host, node ?? process.execPath)
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
  const targets: ReceiptTargets = { browsers: plan.browsers }
  if (options.userDataDir !== undefined) targets.userDataDir = options.userDataDir
  await recordEntries(plan.hostDir, plan.platform, plan.name, receipt, targets)
  return { ...plan, dryRun: false, actions: done }
}

/**
 * `--node node` means the node on PATH, as a shell would run it, not a file "node" in the current folder;
 * the launcher then names the file found, so the browser's PATH does not matter. A path is left as given.
 */
async function resolveNode(node: string | undefined, ienv: InstallEnv): Promise<string | undefined> {
  if (node === undefined || /[\\/]/.test(node)) return node
  const pathList = ienv.env.PATH ?? ienv.env.Path ?? ''
  const candidates = ienv.platform === 'win32' && !/\.exe$/i.test(node) ? [`${node}.exe`, node] : [node]
  for (const c of candidates) {
    const found = await findOnPath(c, pathList, ienv.platform)
    if (found) return found
  }
  throw new InstallRefused(
    `--node ${JSON.stringify(node)} is not on PATH (${pathList || 'empty'}). Give the absolute path of a node ` +
      'binary, e.g. --node "$(command -v node)", or leave --node out to use the node running nmrpc.',
  )
}

/** A launcher for a host file that is not there, or a node that cannot run, fails in every browser. */
async function refuseMissingFiles(host: string, node: string): Promise<void> {
  const h = await stat(host).catch(() => undefined)
  if (!h?.isFile()) {
    throw new InstallRefused(
      `Host ${host} ${h ? 'is not a file' : 'does not exist'}, so every browser would fail to start it. ` +
        'Build the host first or fix --host; pass --force to install anyway (say, before the first build).',
    )
  }
  if (!(await isExecutableFile(node))) {
    throw new InstallRefused(
      `Node ${node} is not an executable file, so the launcher could not start the host. Point --node at a ` +
        'node binary (e.g. --node "$(command -v node)"); pass --force to install anyway.',
    )
  }
}
