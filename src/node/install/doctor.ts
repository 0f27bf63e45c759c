import { constants, existsSync } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { PROTOCOL_VERSION } from '../../shared/protocol.js'
import { appModeFindings } from './appDoctor.js'
import { BROWSERS, type BrowserSpec, type Family, findBrowser } from './browsers.js'
import { UsageError } from './errors.js'
import {
  detectBrowsers,
  type ResolvedPlace,
  registryKey,
  searchPlaces,
  userDataDirPlace,
} from './locations.js'
import { parseExtensionIds, validateHostName } from './names.js'
import { browsersById } from './plan.js'
import { currentInstallEnv, type InstallEnv, pathFor } from './platform.js'
import { type ProbeOutcome, probeHost } from './probeHost.js'
import { parseRegQueryDefault, regQuery, runReg } from './registry.js'
import { SANDBOXES } from './sandboxes.js'

export interface DoctorOptions {
  /** The host name to diagnose. */
  name: string
  /** Extension ids that must be allowed to connect; also used as the caller when starting the host. */
  extensionIds?: readonly string[]
  /**
   * Browsers to check. @default the installed ones plus any with a manifest for `name`
   */
  browsers?: readonly string[]
  /** Also check the manifest a Chromium started with `--user-data-dir DIR` reads. */
  userDataDir?: string
  /** Start the host and greet it. @default true */
  startHost?: boolean
  /** How long the host may take to answer. @default 5000 */
  timeoutMs?: number
  /** Above this, the answer counts as a slow start. @default 1000 */
  slowMs?: number
  env?: InstallEnv
}

/** One thing doctor noticed, with what to do about it. */
export interface Finding {
  level: 'ok' | 'info' | 'warn' | 'error'
  /** Stable id for tools: `missing-manifest`, `bad-json`, `origin-no-slash`, `stray-stdout`, ... */
  code: string
  message: string
  fix?: string
}

export interface BrowserReport {
  browser: string
  title: string
  /** The manifest this browser would read, if any. */
  manifest?: string
  /** Everywhere it looked, in its order. */
  searched: string[]
  findings: Finding[]
}

export interface DoctorReport {
  name: string
  platform: string
  /** True when no finding is an error. */
  ok: boolean
  browsers: BrowserReport[]
}

type Spec = Pick<BrowserSpec, 'id' | 'title' | 'family' | 'sandbox'>

/**
 * Diagnoses host `name` the way each browser would meet it: finds the manifest the browser would read (in
 * its search order: Chromium takes the first file that exists, Firefox the first valid one), checks its JSON,
 * name, type, path and allowed origins/ids, then starts the host with the browser's arguments and greets it.
 * Every finding carries a fix. `ok` is false when any finding is an error.
 *
 * @example
 * const report = await doctor({ name: 'com.acme.app', extensionIds: ['abcdefghijklmnopabcdefghijklmnop'] })
 * for (const b of report.browsers) for (const f of b.findings) console.log(b.browser, f.level, f.message, f.fix)
 */
export async function doctor(o: DoctorOptions): Promise<DoctorReport> {
  const ienv = o.env ?? currentInstallEnv()
  validateHostName(o.name)
  const ids = parseExtensionIds(o.extensionIds ?? [])
  const explicit = o.browsers !== undefined && o.browsers.length > 0
  const targets: { spec: Spec; places: ResolvedPlace[] }[] = []
  if (o.userDataDir !== undefined) {
    targets.push({
      spec: { id: 'user-data-dir', title: `Chromium profile ${o.userDataDir}`, family: 'chromium' },
      places: [userDataDirPlace(o.userDataDir, ienv)],
    })
  }
  if (explicit) {
    for (const b of browsersById(o.browsers!)) targets.push({ spec: b, places: searchPlaces(b, ienv) })
  } else if (o.userDataDir === undefined) {
    // The installed browsers; if none of them has the host, any browser that does (a manifest found in a
    // shared folder such as ~/.mozilla shows up for Firefox, Waterfox and Thunderbird alike).
    const all = BROWSERS.map((b) => ({ spec: b, places: searchPlaces(b, ienv) }))
    const installed = new Set(detectBrowsers(ienv).map((b) => b.id))
    const mine = all.filter((t) => installed.has(t.spec.id))
    let found = false
    for (const t of mine) if (await anyManifest(t.places, o.name, ienv)) found = true
    if (found) targets.push(...mine)
    else {
      const withManifest: typeof all = []
      for (const t of all) if (await anyManifest(t.places, o.name, ienv)) withManifest.push(t)
      targets.push(...(withManifest.length > 0 ? withManifest : mine))
    }
  }
  if (targets.length === 0) {
    throw new UsageError(
      `No browser to check: none is installed here and no manifest for ${o.name} exists. ` +
        'Name browsers with --browser, or a Chromium profile with --user-data-dir.',
    )
  }

  const reports: BrowserReport[] = []
  const probes = new Map<string, Promise<ProbeOutcome>>()
  for (const t of targets) reports.push(await checkBrowser(t.spec, t.places, o, ids, ienv, probes))
  // Without --browser, an installed browser nobody registered the host for is not a problem by itself,
  // unless no browser has it at all.
  if (!explicit && reports.some((r) => r.manifest)) {
    for (const r of reports) {
      if (!r.manifest) {
        for (const f of r.findings) if (f.code === 'missing-manifest') f.level = 'info'
      }
    }
  }
  const ok = reports.every((r) => r.findings.every((f) => f.level !== 'error'))
  return { name: o.name, platform: ienv.platform, ok, browsers: reports }
}

async function anyManifest(places: ResolvedPlace[], name: string, ienv: InstallEnv): Promise<boolean> {
  for (const p of places) if ((await readPlace(p, name, ienv)).file !== undefined) return true
  return false
}

/** Where `place` says the manifest is (a file in a folder, or a registry value's data), and whether it is there. */
async function readPlace(
  place: ResolvedPlace,
  name: string,
  ienv: InstallEnv,
): Promise<{ where: string; file?: string; text?: string }> {
  const p = pathFor(ienv.platform)
  if (place.kind === 'dir') {
    const file = p.join(place.dir, `${name}.json`)
    const text = await readFile(file, 'utf8').catch(() => undefined)
    return text === undefined ? { where: file } : { where: file, file, text }
  }
  const where = `${place.hive}\\${registryKey(place, name)} (/reg:${place.view})`
  if (process.platform !== 'win32' || ienv.platform !== 'win32') return { where }
  const q = await runReg(regQuery({ hive: place.hive, key: registryKey(place, name), view: place.view }))
  const file = q.ok ? parseRegQueryDefault(q.stdout) : undefined
  if (file === undefined) return { where }
  const text = await readFile(file, 'utf8').catch(() => undefined)
  return { where, file, text: text ?? '' }
}

async function checkBrowser(
  spec: Spec,
  places: ResolvedPlace[],
  o: DoctorOptions,
  ids: { origins: string[]; geckoIds: string[] },
  ienv: InstallEnv,
  probes: Map<string, Promise<ProbeOutcome>>,
): Promise<BrowserReport> {
  const report: BrowserReport = { browser: spec.id, title: spec.title, searched: [], findings: [] }
  const add = (f: Finding) => report.findings.push(f)
  const exists = ienv.exists ?? existsSync
  for (const s of SANDBOXES) {
    if (
      s.browser === spec.id &&
      s.platform === ienv.platform &&
      s.detect.some((d) => exists(expand(d, ienv)))
    ) {
      add({ level: s.level, code: `sandbox-${s.kind}`, message: s.message, fix: s.fix })
    }
  }
  const note = findBrowser(spec.id)?.[ienv.platform]?.note
  if (note) add({ level: 'info', code: `sandbox-${spec.sandbox ?? 'note'}`, message: note })
  if (places.length === 0) {
    add({
      level: 'error',
      code: 'no-location',
      message: `${spec.title} has no native messaging location on ${ienv.platform}.`,
    })
    return report
  }

  let chosen: { file: string; manifest: Record<string, unknown>; findings: Finding[] } | undefined
  for (const place of places) {
    const r = await readPlace(place, o.name, ienv)
    report.searched.push(r.where)
    if (r.file === undefined) continue
    if (r.text === '' && place.kind === 'registry') {
      add({
        level: 'error',
        code: 'registry-dangling',
        message: `${r.where} points to ${r.file}, which does not exist.`,
        fix: 'Run nmrpc install again, or nmrpc uninstall to remove the key.',
      })
      if (spec.family === 'chromium') break
      continue
    }
    const found = checkManifest(r.file, r.text ?? '', o.name, spec.family, ids, ienv)
    const fatal = found.findings.some((f) => f.level === 'error')
    // Chromium reads the first file that exists, broken or not; Firefox skips invalid ones (see browsers.ts).
    if (spec.family === 'chromium' || !fatal) {
      report.manifest = r.file
      for (const f of found.findings) add(f)
      if (found.manifest && !fatal)
        chosen = { file: r.file, manifest: found.manifest, findings: found.findings }
      break
    }
    for (const f of found.findings) {
      add({
        ...f,
        level: f.level === 'error' ? 'warn' : f.level,
        message: `Skipped by ${spec.title}: ${f.message}`,
      })
    }
  }
  if (!report.manifest) {
    add({
      level: 'error',
      code: 'missing-manifest',
      message: `${spec.title} finds no manifest for ${o.name}; it looked in: ${report.searched.join(', ')}.`,
      fix: `nmrpc install --name ${o.name} --host /abs/path/host.js --extension-id <id> --browser ${spec.id === 'user-data-dir' ? 'chromium --user-data-dir <dir>' : spec.id}`,
    })
    return report
  }
  if (!chosen) return report
  add({ level: 'ok', code: 'manifest-ok', message: `Manifest ${chosen.file} is valid.` })

  // Windows allows a path relative to the manifest's folder (Chrome docs); elsewhere it is absolute by now.
  const pp = pathFor(ienv.platform)
  const raw = String(chosen.manifest.path)
  const hostPath = pp.isAbsolute(raw) ? raw : pp.resolve(pp.dirname(chosen.file), raw)
  const pathProblems = await checkHostPath(hostPath, ienv.platform)
  for (const f of pathProblems) add(f)
  if (pathProblems.length === 0) for (const f of await appModeFindings(hostPath, o.name)) add(f)
  if (pathProblems.length > 0 || o.startHost === false) return report
  const args =
    spec.family === 'chromium'
      ? [ids.origins[0] ?? firstString(chosen.manifest.allowed_origins) ?? 'chrome-extension://doctor/']
      : [chosen.file, ids.geckoIds[0] ?? firstString(chosen.manifest.allowed_extensions) ?? 'doctor@nmrpc']
  if (spec.family === 'chromium' && ienv.platform === 'win32') args.push('--parent-window=0')
  // Browsers sharing a manifest folder (Firefox, Thunderbird) would start the same host the same way.
  const key = JSON.stringify([hostPath, args])
  if (!probes.has(key))
    probes.set(key, probeHost({ command: hostPath, args, timeoutMs: o.timeoutMs ?? 5000 }))
  const outcome = await probes.get(key)!
  for (const f of probeFindings(outcome, hostPath, args, o.slowMs ?? 1000)) add(f)
  return report
}

function firstString(v: unknown): string | undefined {
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined
}

function expand(p: string, ienv: InstallEnv): string {
  return p.startsWith('~/') ? pathFor(ienv.platform).join(ienv.home, p.slice(2)) : p
}

/**
 * The static checks of one manifest file (JSON, name, type, path, origins or ids). Exported for tests and
 * tools; {@link doctor} runs it on the file each browser would read.
 *
 * @example
 * checkManifest('/x/com.acme.app.json', text, 'com.acme.app', 'chromium', { origins: [], geckoIds: [] }, env)
 */
export function checkManifest(
  file: string,
  text: string,
  name: string,
  family: Family,
  ids: { origins: string[]; geckoIds: string[] },
  ienv: InstallEnv,
): { manifest?: Record<string, unknown>; findings: Finding[] } {
  const findings: Finding[] = []
  const err = (code: string, message: string, fix: string) =>
    findings.push({ level: 'error', code, message, fix })
  const reinstall = `nmrpc install --name ${name} ... rewrites it.`
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    err('bad-json', `${file} is not valid JSON: ${(e as Error).message}.`, `Fix the JSON, or ${reinstall}`)
    return { findings }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    err('bad-json', `${file} holds JSON but not an object.`, reinstall)
    return { findings }
  }
  const m = data as Record<string, unknown>
  if (m.name !== name) {
    err(
      'name-mismatch',
      `${file} has "name": ${JSON.stringify(m.name)}, but the browser asked for "${name}".`,
      `Set "name": "${name}".`,
    )
  }
  if (m.type !== 'stdio')
    err('bad-type', `${file} has "type": ${JSON.stringify(m.type)}.`, 'Set "type": "stdio".')

  const p = pathFor(ienv.platform)
  if (typeof m.path !== 'string' || m.path === '') {
    err('no-path', `${file} has no "path".`, 'Set "path" to the absolute path of the launcher.')
  } else if (!p.isAbsolute(m.path) && ienv.platform !== 'win32') {
    err(
      'relative-path',
      `"path" ${JSON.stringify(m.path)} in ${file} is relative; browsers on ${ienv.platform} require an absolute path.`,
      `Use the absolute path, or ${reinstall}`,
    )
  }

  if (family === 'chromium') {
    const origins = m.allowed_origins
    if (!Array.isArray(origins) || origins.length === 0) {
      const hint = Array.isArray(m.allowed_extensions)
        ? ' It has "allowed_extensions", which only Firefox reads.'
        : ''
      err(
        'no-origins',
        `${file} has no "allowed_origins", so no Chromium extension may connect.${hint}`,
        'Add "allowed_origins": ["chrome-extension://<id>/"].',
      )
    } else {
      for (const origin of origins) {
        if (typeof origin === 'string' && /^chrome-extension:\/\/[a-p]{32}$/.test(origin)) {
          err(
            'origin-no-slash',
            `allowed_origins entry "${origin}" lacks the trailing slash; Chromium matches origins exactly and ignores it.`,
            `Write "${origin}/".`,
          )
        } else if (typeof origin !== 'string' || !/^chrome-extension:\/\/[a-p]{32}\/$/.test(origin)) {
          err(
            'bad-origin',
            `allowed_origins entry ${JSON.stringify(origin)} is not "chrome-extension://<32 letters a-p>/" (wildcards are not allowed).`,
            'Use the id shown on chrome://extensions.',
          )
        }
      }
      for (const want of ids.origins) {
        if (!origins.includes(want))
          err(
            'origin-missing',
            `${file} does not allow ${want}.`,
            `Add "${want}" to allowed_origins, or ${reinstall}`,
          )
      }
    }
  } else {
    const exts = m.allowed_extensions
    if (!Array.isArray(exts) || exts.length === 0) {
      const hint = Array.isArray(m.allowed_origins)
        ? ' It has "allowed_origins", which only Chromium reads.'
        : ''
      err(
        'no-extensions',
        `${file} has no "allowed_extensions", so no Firefox add-on may connect.${hint}`,
        'Add "allowed_extensions": ["<gecko id>"].',
      )
    } else {
      for (const want of ids.geckoIds) {
        if (!exts.includes(want))
          err(
            'extension-missing',
            `${file} does not allow ${want}.`,
            `Add "${want}" to allowed_extensions, or ${reinstall}`,
          )
      }
    }
  }
  return { manifest: m, findings }
}

/** Checks the launcher file itself (exists, executable); async, so kept apart from {@link checkManifest}. */
export async function checkHostPath(hostPath: string, platform: string): Promise<Finding[]> {
  const s = await stat(hostPath).catch(() => undefined)
  if (!s) {
    return [
      {
        level: 'error',
        code: 'path-missing',
        message: `Host path ${hostPath} does not exist.`,
        fix: 'Run nmrpc install again, or point "path" at the launcher.',
      },
    ]
  }
  if (!s.isFile())
    return [
      {
        level: 'error',
        code: 'path-not-file',
        message: `Host path ${hostPath} is not a file.`,
        fix: 'Point "path" at the launcher file.',
      },
    ]
  if (platform !== 'win32') {
    const ok = await access(hostPath, constants.X_OK).then(
      () => true,
      () => false,
    )
    if (!ok)
      return [
        {
          level: 'error',
          code: 'path-not-executable',
          message: `Host path ${hostPath} is not executable.`,
          fix: `chmod +x '${hostPath}'`,
        },
      ]
  }
  return []
}

function probeFindings(o: ProbeOutcome, hostPath: string, args: string[], slowMs: number): Finding[] {
  const rerun = `Run it by hand to see: ${[hostPath, ...args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`
  const withStderr = (s: string) => (s ? ` Its stderr ends with: ${s.replace(/\s*\n\s*/g, ' | ')}` : '')
  switch (o.kind) {
    case 'hello': {
      const out: Finding[] = []
      if (o.protocol !== PROTOCOL_VERSION) {
        out.push({
          level: 'error',
          code: 'protocol-mismatch',
          message: `Host speaks nmrpc protocol ${o.protocol} (${o.impl ?? 'unknown impl'}); this nmrpc speaks ${PROTOCOL_VERSION}, so every call would fail.`,
          fix: 'Use the same nmrpc major version in the host and the extension.',
        })
      } else {
        out.push({
          level: 'ok',
          code: 'hello',
          message: `Host answered the hello in ${o.ms} ms (${o.impl ?? 'nmrpc'}, protocol ${o.protocol}).`,
        })
      }
      if (o.ms > slowMs) {
        out.push({
          level: 'warn',
          code: 'slow-start',
          message: `Host took ${o.ms} ms to answer; browsers start a new host for every connectNative.`,
          fix: 'Call host.listen() before slow imports or setup, and load heavy modules lazily.',
        })
      }
      if (!o.exitedAfterStdinClose) {
        out.push({
          level: 'warn',
          code: 'slow-exit',
          message:
            'Host kept running 2 s after its stdin closed; browsers expect it to exit when the port closes.',
          fix: 'Do not keep timers or servers alive after host.listen() resolves, or call process.exit() then.',
        })
      }
      return out
    }
    case 'stray-stdout':
      return [
        {
          level: 'error',
          code: 'stray-stdout',
          message: `Host wrote bytes that are not a native messaging frame to stdout: ${JSON.stringify(o.bytes)}. The browser would drop the connection.${withStderr(o.stderr)}`,
          fix: 'Log to stderr (console.error); nothing may print to stdout before host.listen() takes it over.',
        },
      ]
    case 'exited':
      return [
        {
          level: 'error',
          code: 'host-crashed',
          message: `Host exited (${o.signal ?? `code ${o.code}`}) before answering; the extension would see "Native host has exited."${withStderr(o.stderr)}`,
          fix: rerun,
        },
      ]
    case 'spawn-error':
      return [
        {
          level: 'error',
          code: 'spawn-failed',
          message: `Host could not be started: ${o.message}.`,
          fix: rerun,
        },
      ]
    case 'timeout':
      return [
        {
          level: 'error',
          code: 'host-silent',
          message: `Host did not answer the hello within ${o.ms} ms.${withStderr(o.stderr)}`,
          fix: 'Make sure the host calls host.listen() from nmrpc/server. ' + rerun,
        },
      ]
    case 'not-nmrpc':
      return [
        {
          level: 'error',
          code: 'not-nmrpc',
          message: `Host answered ${JSON.stringify(o.message).slice(0, 120)} instead of an nmrpc hello; it is not an nmrpc host (or an old one).`,
          fix: 'Serve it with defineHost({...}).listen() from nmrpc/server, or check that the manifest points at the right program.',
        },
      ]
  }
}
