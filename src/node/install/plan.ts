import { BROWSERS, type BrowserSpec, type Family, findBrowser } from './browsers.js'
import { UsageError } from './errors.js'
import { launcherFileName, launcherScript } from './launcher.js'
import {
  detectBrowsers,
  installPlace,
  type ResolvedPlace,
  registryKey,
  userDataDirPlace,
} from './locations.js'
import { buildManifest, manifestText } from './manifest.js'
import { checkPath, idsFor, parseExtensionIds, validateHostName } from './names.js'
import {
  currentInstallEnv,
  expandPath,
  type InstallEnv,
  type Platform,
  pathFor,
  type Scope,
} from './platform.js'
import { type RegCommand, type RegistryValue, regAdd } from './registry.js'

/** What `nmrpc install` (and {@link install}) takes. */
export interface InstallOptions {
  /** The host name extensions pass to `connectNative`, e.g. `com.acme.app`. */
  name: string
  /** Absolute path of the host's JavaScript entry (the file that calls `host.listen()`). */
  host: string
  /** Chromium ids / `chrome-extension://ID/` origins and Firefox add-on ids allowed to connect. */
  extensionIds: readonly string[]
  /**
   * Browser ids from the location table (`chrome`, `firefox`, ...).
   * @default every installed browser (see `detectBrowsers`); with `userDataDir`, just that profile
   */
  browsers?: readonly string[]
  /** @default 'user' */
  scope?: Scope
  /**
   * A Chromium-family profile started with `--user-data-dir DIR`: the manifest goes to
   * `DIR/NativeMessagingHosts`, which such a browser reads instead of the usual user folder.
   */
  userDataDir?: string
  /**
   * The node binary the launcher runs: a path, or a bare name such as `node`, looked up on PATH like a shell
   * does (never in the current folder).
   * @default process.execPath (the node running the install)
   */
  node?: string
  /** Arguments for node before the host file, e.g. `['--import', 'tsx']` to run a TypeScript host. */
  nodeArgs?: readonly string[]
  /**
   * `host` is a program in its own right (a single executable made by `nmrpc build --sea`), not a script
   * for node: the manifests name it directly and no launcher is written (`node` and `nodeArgs` are unused).
   * @default false
   */
  executable?: boolean
  /** Arguments after the host file, before the browser's (app mode: `['relay', name]` for the nmrpc CLI). */
  hostArgs?: readonly string[]
  description?: string
  /**
   * Folder for the launcher, the receipt and (Windows) the manifests.
   * @default `<data dir>/nmrpc/<name>`: ~/.local/share, ~/Library/Application Support, %LOCALAPPDATA%
   * (user scope); /usr/local/lib, /Library/Application Support, %ProgramData% (system scope)
   */
  dir?: string
  /** Plan and report, write nothing. */
  dryRun?: boolean
  /**
   * Install even when the host file does not exist yet or `node` is not executable (both are refused
   * otherwise, with an `InstallRefused` error).
   */
  force?: boolean
  /** The machine to install on. @default currentInstallEnv() */
  env?: InstallEnv
  /** Used only to suggest an absolute path in errors. @default process.cwd() */
  cwd?: string
}

export type PlannedAction =
  | {
      kind: 'file'
      role: 'launcher' | 'manifest'
      path: string
      content: string
      mode: number
      /** Browser ids that read this file (several browsers can share a folder). */
      browsers: string[]
    }
  | { kind: 'registry'; browsers: string[]; value: RegistryValue; data: string; command: RegCommand }

/** Everything an install would do, computed without touching the disk (except to detect browsers). */
export interface InstallPlan {
  name: string
  scope: Scope
  platform: Platform
  /** Holds the launcher, the receipt and, on Windows, the manifests. */
  hostDir: string
  /** What the manifests' `path` names: the launcher, or `host` itself when it is `executable`. */
  launcher: string
  /** The browsers the install is for (ids; `user-data-dir` for a bare --user-data-dir install). */
  browsers: string[]
  skipped: { browser: string; reason: string }[]
  actions: PlannedAction[]
}

const DATA_DIRS: Record<Platform, Record<Scope, string>> = {
  linux: { user: '$XDG_DATA_HOME/nmrpc', system: '/usr/local/lib/nmrpc' },
  darwin: { user: '~/Library/Application Support/nmrpc', system: '/Library/Application Support/nmrpc' },
  win32: { user: '%LOCALAPPDATA%/nmrpc', system: '%PROGRAMDATA%/nmrpc' },
}

/** The folder nmrpc keeps a host's launcher and receipt in (see {@link InstallOptions.dir}). */
export function hostDirFor(name: string, scope: Scope, ienv: InstallEnv, dir?: string): string {
  return dir ?? pathFor(ienv.platform).join(expandPath(DATA_DIRS[ienv.platform][scope], ienv), name)
}

/** The browser specs for `ids`, refusing unknown ids with the list of known ones. */
export function browsersById(ids: readonly string[]): BrowserSpec[] {
  return ids.map((id) => {
    const b = findBrowser(id)
    if (!b) {
      throw new UsageError(
        `Unknown browser ${JSON.stringify(id)}. Known: ${BROWSERS.map((x) => x.id).join(', ')}.`,
      )
    }
    return b
  })
}

/**
 * Computes what {@link install} will write: the launcher, one manifest per folder (or, on Windows, one
 * manifest per browser family plus registry values), for the chosen browsers and scope. Validates every
 * input first and throws a {@link UsageError} naming the problem and its fix.
 *
 * @example
 * const plan = planInstall({ name: 'com.acme.app', host: '/opt/acme/host.js',
 *   extensionIds: ['abcdefghijklmnopabcdefghijklmnop'], browsers: ['chrome'],
 *   env: { platform: 'win32', home: 'C:\\Users\\a', env: {} } })
 * plan.actions.find((a) => a.kind === 'registry')?.command.args[1]
 * // 'HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts\\com.acme.app'
 */
export function planInstall(o: InstallOptions): InstallPlan {
  const ienv = o.env ?? currentInstallEnv()
  const { platform } = ienv
  const p = pathFor(platform)
  const cwd = o.cwd ?? process.cwd()
  const scope = o.scope ?? 'user'
  if (scope !== 'user' && scope !== 'system') {
    throw new UsageError(`Scope ${JSON.stringify(scope)} is not "user" or "system".`)
  }
  validateHostName(o.name)
  checkPath('Host', o.host, platform, cwd)
  const node = o.node ?? process.execPath
  checkPath('Node', node, platform, cwd)
  if (o.dir !== undefined) checkPath('Install folder', o.dir, platform, cwd)
  if (platform === 'win32') {
    for (const a of [...(o.nodeArgs ?? []), ...(o.hostArgs ?? [])]) {
      if (/[%!^&|<>"]/.test(a))
        throw new UsageError(
          `Node argument ${JSON.stringify(a)} contains a character cmd.exe misreads (%!^&|<>").`,
        )
    }
  }
  const ids = parseExtensionIds(o.extensionIds)
  if (ids.origins.length === 0 && ids.geckoIds.length === 0) {
    throw new UsageError(
      'No extension id given: pass --extension-id once per extension allowed to connect (a Chromium id of ' +
        '32 letters a-p, or a Firefox add-on id like "app@acme.com").',
    )
  }

  const hostDir = hostDirFor(o.name, scope, ienv, o.dir)
  checkPath('Install folder', hostDir, platform, cwd)
  const launcher = p.join(hostDir, launcherFileName(platform))
  const skipped: InstallPlan['skipped'] = []
  const explicit = o.browsers !== undefined && o.browsers.length > 0
  const chosen = explicit ? browsersById(o.browsers!) : o.userDataDir ? [] : detectBrowsers(ienv)

  // Each target: the browsers that read one place, and the manifest dialect they share.
  const targets: { place: ResolvedPlace; family: Family; browsers: string[] }[] = []
  const addTarget = (place: ResolvedPlace, family: Family, browser: string) => {
    const same = targets.find((t) => samePlace(t.place, place))
    if (!same) return targets.push({ place, family, browsers: [browser] })
    if (same.family !== family) {
      throw new UsageError(
        `${browser} and ${same.browsers.join(', ')} read the same place but need different manifests.`,
      )
    }
    same.browsers.push(browser)
  }

  if (o.userDataDir !== undefined) {
    checkPath('User data dir', o.userDataDir, platform, cwd)
    if (platform === 'win32') {
      throw new UsageError(
        '--user-data-dir does not apply on Windows: Chromium there finds hosts only through the registry ' +
          '(HKCU/HKLM ...\\NativeMessagingHosts), whatever the profile. Drop --user-data-dir.',
      )
    }
    const wrong = chosen.filter((b) => b.family !== 'chromium')
    if (wrong.length > 0) {
      throw new UsageError(
        `--user-data-dir is a Chromium-family flag; ${wrong.map((b) => b.title).join(', ')} ${wrong.length === 1 ? 'does' : 'do'} not read it. ` +
          'Install Firefox-family browsers in a separate command without --user-data-dir.',
      )
    }
    if (ids.origins.length === 0) {
      throw new UsageError(
        '--user-data-dir is for Chromium-family browsers, but no Chromium extension id was given.',
      )
    }
    const place = userDataDirPlace(o.userDataDir, ienv)
    for (const b of chosen.length > 0 ? chosen.map((c) => c.id) : ['user-data-dir'])
      addTarget(place, 'chromium', b)
  } else {
    if (chosen.length === 0) {
      throw new UsageError(
        `No installed browser found on this ${platform} machine. Name one or more with --browser ` +
          `(${BROWSERS.map((b) => b.id).join(', ')}), or use --user-data-dir DIR for a Chromium profile.`,
      )
    }
    for (const b of chosen) {
      if (idsFor(b.family, ids).length === 0) {
        const need =
          b.family === 'chromium' ? 'a Chromium extension id (32 letters a-p)' : 'a Firefox add-on id'
        if (explicit) throw new UsageError(`${b.title} needs ${need}; pass it with --extension-id.`)
        skipped.push({
          browser: b.id,
          reason: `no ${b.family === 'chromium' ? 'Chromium' : 'Firefox'} extension id given`,
        })
        continue
      }
      const place = installPlace(b, ienv, scope)
      if (!place) {
        const reason = b[platform]
          ? `has no ${scope}-wide location on ${platform}`
          : `does not exist on ${platform}`
        if (explicit) throw new UsageError(`${b.title} ${reason}; choose another --scope or browser.`)
        skipped.push({ browser: b.id, reason })
        continue
      }
      addTarget(place, b.family, b.id)
    }
  }
  if (targets.length === 0) {
    throw new UsageError(
      `Nothing to install: ${skipped.map((s) => `${s.browser}: ${s.reason}`).join('; ')}. ` +
        'Pass --extension-id for those browsers or name others with --browser.',
    )
  }

  const actions: PlannedAction[] = []
  const all = targets.flatMap((t) => t.browsers)
  // A single executable needs no node, so nothing stands between the browser and it.
  const manifestPath = o.executable ? o.host : launcher
  if (!o.executable) {
    actions.push({
      kind: 'file',
      role: 'launcher',
      path: launcher,
      content: launcherScript(platform, o.name, node, o.host, o.nodeArgs ?? [], o.hostArgs ?? []),
      mode: 0o755,
      browsers: all,
    })
  }
  const manifestFor = (family: Family) =>
    manifestText(
      buildManifest(family, {
        name: o.name,
        path: manifestPath,
        ids: idsFor(family, ids),
        description: o.description,
      }),
    )
  for (const t of targets) {
    if (t.place.kind === 'dir') {
      actions.push({
        kind: 'file',
        role: 'manifest',
        path: p.join(t.place.dir, `${o.name}.json`),
        content: manifestFor(t.family),
        mode: 0o644,
        browsers: t.browsers,
      })
    } else {
      // Windows: the registry value points at a manifest file; one per dialect, kept next to the launcher.
      const file = p.join(hostDir, `${t.family}.json`)
      const existing = actions.find((a) => a.kind === 'file' && a.path === file)
      if (existing) existing.browsers.push(...t.browsers)
      else
        actions.push({
          kind: 'file',
          role: 'manifest',
          path: file,
          content: manifestFor(t.family),
          mode: 0o644,
          browsers: [...t.browsers],
        })
      const value: RegistryValue = {
        hive: t.place.hive,
        key: registryKey(t.place, o.name),
        view: t.place.view,
      }
      actions.push({
        kind: 'registry',
        browsers: t.browsers,
        value,
        data: file,
        command: regAdd(value, file),
      })
    }
  }
  return { name: o.name, scope, platform, hostDir, launcher: manifestPath, browsers: all, skipped, actions }
}

function samePlace(a: ResolvedPlace, b: ResolvedPlace): boolean {
  if (a.kind === 'dir' && b.kind === 'dir') return a.dir === b.dir
  if (a.kind === 'registry' && b.kind === 'registry')
    return a.hive === b.hive && a.key === b.key && a.view === b.view
  return false
}
