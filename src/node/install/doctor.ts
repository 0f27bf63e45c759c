import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { appModeFindings } from './appDoctor.js'
import { browserEnv, DESKTOP_PATH } from './browserEnv.js'
import { BROWSERS, type BrowserSpec, type Family, findBrowser } from './browsers.js'
import { browserWords, withBrowserWords } from './browserWords.js'
import { checkHostPath, checkManifest } from './checkManifest.js'
import { checkInterpreter, type Finding, probeFindings } from './hostFindings.js'
import {
  detectBrowsers,
  type ResolvedPlace,
  registryKey,
  searchPlaces,
  userDataDirPlace,
} from './locations.js'
import { parseExtensionIds, validateHostName } from './names.js'
import { browsersById, hostDirFor } from './plan.js'
import { currentInstallEnv, type InstallEnv, pathFor } from './platform.js'
import { type ProbeOutcome, probeHost } from './probeHost.js'
import { readReceipt } from './receipt.js'
import { parseRegQueryDefault, regQuery, runReg } from './registry.js'
import { SANDBOXES } from './sandboxes.js'

export { checkHostPath, checkManifest } from './checkManifest.js'
export type { Finding } from './hostFindings.js'

export interface DoctorOptions {
  /** The host name to diagnose. */
  name: string
  /** Extension ids that must be allowed to connect; also used as the caller when starting the host. */
  extensionIds?: readonly string[]
  /**
   * Browsers to check; each must find the host.
   * @default every installed browser and every browser an install receipt names (see {@link doctor})
   */
  browsers?: readonly string[]
  /** Also check the manifest a Chromium started with `--user-data-dir DIR` reads. */
  userDataDir?: string
  /** The `dir` given to install, where its receipt is. @default the per-user and system nmrpc folders */
  dir?: string
  /** Start the host and greet it. @default true */
  startHost?: boolean
  /** How long the host may take to answer. Browsers wait without a limit. @default 30000 */
  timeoutMs?: number
  /** Above this, the answer counts as a slow start. @default 1000 */
  slowMs?: number
  /**
   * The PATH the browser gives the hosts it starts.
   * @default a desktop session's: `/usr/local/bin:/usr/bin:/bin` (Linux), `/usr/bin:/bin:/usr/sbin:/sbin` (macOS), the current one (Windows)
   */
  browserPath?: string
  /** Told what doctor is waiting for while a host takes its time (after 2 s, then every 5 s). */
  onProgress?: (message: string) => void
  env?: InstallEnv
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
interface Target {
  spec: Spec
  places: ResolvedPlace[]
  /** A browser that must find the host: named, targeted by an install, or of a family the host is registered for. */
  required: boolean
}

/** Everything doctor shares between the browsers it checks. */
interface Run {
  o: DoctorOptions
  ids: { origins: string[]; geckoIds: string[] }
  ienv: InstallEnv
  probes: Map<string, Promise<ProbeOutcome>>
  /** Places no browser under check reads, where a manifest may sit by mistake. */
  elsewhere: { place: ResolvedPlace; readers: string[]; family: Family }[]
}

/**
 * Diagnoses host `name` the way each browser would meet it: finds the manifest the browser would read (in
 * its search order: Chromium takes the first file that exists, Firefox the first valid one), checks its JSON,
 * name, type, path, `#!` line and allowed origins/ids, then starts the host with the browser's arguments and
 * the PATH a browser started from the desktop passes on, and greets it. When a browser finds no manifest,
 * doctor searches every other known place and says which browsers read the file it found there.
 *
 * Without `browsers`, it checks every installed browser, every browser an install receipt names and every
 * profile an install wrote to (`userDataDir`); a browser must find the host when a receipt names it or when a
 * manifest of its family (Chromium or Firefox) exists anywhere, else its absence is only noted. Every
 * finding carries a fix and, where the browser fails, the browser's own words. `ok` is false when any
 * finding is an error.
 *
 * @example
 * const report = await doctor({ name: 'com.acme.app', extensionIds: ['abcdefghijklmnopabcdefghijklmnop'] })
 * for (const b of report.browsers) for (const f of b.findings) console.log(b.browser, f.level, f.message, f.fix)
 */
export async function doctor(o: DoctorOptions): Promise<DoctorReport> {
  const ienv = o.env ?? currentInstallEnv()
  validateHostName(o.name)
  const ids = parseExtensionIds(o.extensionIds ?? [])
  const receipt = await receiptTargets(o.name, ienv, o.dir)
  const targets = await chooseTargets(o, ienv, receipt)
  if (targets.length === 0) {
    throw new Error(
      `No browser to check: none is installed here and no manifest for ${o.name} exists. ` +
        'Name browsers with --browser, or a Chromium profile with --user-data-dir.',
    )
  }
  const run: Run = { o, ids, ienv, probes: new Map(), elsewhere: otherPlaces(ienv, receipt.userDataDirs, o) }
  const reports: BrowserReport[] = []
  for (const t of targets) {
    const r = await checkBrowser(t.spec, t.places, run)
    if (!t.required) {
      // An installed browser of a family nobody registered the host for: fine if the extension is not for it.
      for (const f of r.findings) {
        if (f.code === 'missing-manifest' || f.code === 'manifest-elsewhere') {
          f.level = 'info'
          f.message = `${t.spec.title} has no manifest for ${o.name}, and no ${t.spec.family === 'chromium' ? 'Chromium' : 'Firefox'}-family browser has one; fine if the extension does not run there.`
          delete f.browserSays
        }
      }
    }
    reports.push(r)
  }
  const ok = reports.every((r) => r.findings.every((f) => f.level !== 'error'))
  return { name: o.name, platform: ienv.platform, ok, browsers: reports }
}

/** What install receipts for `name` say it was installed for. */
async function receiptTargets(
  name: string,
  ienv: InstallEnv,
  dir: string | undefined,
): Promise<{ browsers: Set<string>; userDataDirs: string[] }> {
  const browsers = new Set<string>()
  const userDataDirs: string[] = []
  const dirs = dir !== undefined ? [dir] : (['user', 'system'] as const).map((s) => hostDirFor(name, s, ienv))
  for (const d of dirs) {
    const r = await readReceipt(d, ienv.platform).catch(() => undefined)
    for (const b of r?.browsers ?? []) browsers.add(b)
    for (const u of r?.userDataDirs ?? []) if (!userDataDirs.includes(u)) userDataDirs.push(u)
  }
  return { browsers, userDataDirs }
}

function profileTarget(dir: string, ienv: InstallEnv): Target {
  return {
    spec: { id: 'user-data-dir', title: `Chromium profile ${dir}`, family: 'chromium' },
    places: [userDataDirPlace(dir, ienv)],
    required: true,
  }
}

async function chooseTargets(
  o: DoctorOptions,
  ienv: InstallEnv,
  receipt: { browsers: Set<string>; userDataDirs: string[] },
): Promise<Target[]> {
  const targets: Target[] = []
  if (o.userDataDir !== undefined) targets.push(profileTarget(o.userDataDir, ienv))
  if (o.browsers !== undefined && o.browsers.length > 0) {
    for (const b of browsersById(o.browsers))
      targets.push({ spec: b, places: searchPlaces(b, ienv), required: true })
    return targets
  }
  if (o.userDataDir !== undefined) return targets
  for (const d of receipt.userDataDirs) targets.push(profileTarget(d, ienv))
  const installed = new Set(detectBrowsers(ienv).map((b) => b.id))
  // A family counts as registered when a manifest for the host sits in any place a browser of it reads.
  const registered = new Set<Family>()
  const withManifest = new Set<string>()
  for (const b of BROWSERS) {
    if (receipt.browsers.has(b.id)) registered.add(b.family)
    if (await anyManifest(searchPlaces(b, ienv), o.name, ienv)) {
      registered.add(b.family)
      withManifest.add(b.id)
    }
  }
  let chosen = BROWSERS.filter((b) => installed.has(b.id) || receipt.browsers.has(b.id))
  // No browser detected (a server, a CI box): check the ones that have a manifest, so doctor still says something.
  if (chosen.length === 0 && targets.length === 0) chosen = BROWSERS.filter((b) => withManifest.has(b.id))
  for (const b of chosen) {
    targets.push({
      spec: b,
      places: searchPlaces(b, ienv),
      required: receipt.browsers.has(b.id) || registered.has(b.family),
    })
  }
  return targets
}

/** Every place some browser (or an installed-to profile) reads, with who reads it, for "found it elsewhere". */
function otherPlaces(ienv: InstallEnv, userDataDirs: string[], o: DoctorOptions): Run['elsewhere'] {
  const out: Run['elsewhere'] = []
  const add = (place: ResolvedPlace, reader: string, family: Family) => {
    const same = out.find((e) => placeId(e.place) === placeId(place))
    if (same) {
      if (!same.readers.includes(reader)) same.readers.push(reader)
    } else out.push({ place, readers: [reader], family })
  }
  for (const b of BROWSERS) for (const p of searchPlaces(b, ienv)) add(p, b.title, b.family)
  const dirs = [...userDataDirs, ...(o.userDataDir === undefined ? [] : [o.userDataDir])]
  for (const d of dirs)
    add(userDataDirPlace(d, ienv), `a Chromium started with --user-data-dir ${d}`, 'chromium')
  return out
}

function placeId(p: ResolvedPlace): string {
  return p.kind === 'dir' ? p.dir : `${p.hive}\\${p.key}:${p.view}`
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

async function checkBrowser(spec: Spec, places: ResolvedPlace[], run: Run): Promise<BrowserReport> {
  const { o, ienv } = run
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
  await findAndCheck(spec, places, run, report)
  // Each error says what the extension sees in this browser, so a user can match it with what they see.
  for (const f of report.findings) {
    if (f.level !== 'error') continue
    if (f.browserSays === undefined) {
      const words = browserWords(f.code, spec.family, o.name)
      if (words !== undefined) f.browserSays = words
    }
    f.message = withBrowserWords(f.message, spec.title, f.browserSays)
  }
  return report
}

async function findAndCheck(
  spec: Spec,
  places: ResolvedPlace[],
  run: Run,
  report: BrowserReport,
): Promise<void> {
  const { o, ids, ienv } = run
  const add = (f: Finding) => report.findings.push(f)
  let chosen: { file: string; manifest: Record<string, unknown> } | undefined
  const skipped: Finding[] = []
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
      if (spec.family === 'chromium') return
      continue
    }
    const found = checkManifest(r.file, r.text ?? '', o.name, spec.family, ids, ienv)
    const fatal = found.findings.some((f) => f.level === 'error')
    // Chromium reads the first file that exists, broken or not; Firefox skips invalid ones (see browsers.ts).
    if (spec.family === 'chromium' || !fatal) {
      report.manifest = r.file
      for (const f of found.findings) add(f)
      if (found.manifest && !fatal) chosen = { file: r.file, manifest: found.manifest }
      break
    }
    for (const f of found.findings)
      skipped.push({ ...f, message: `${spec.title} skips this manifest: ${f.message}` })
  }
  if (!report.manifest && skipped.length > 0) {
    // Firefox found files but could use none: each reason it skipped one is the cause, not "no manifest".
    for (const f of skipped) add(f)
    return
  }
  // Skipped files before a good one do not break this browser, but a later edit might make them matter.
  for (const f of skipped) add({ ...f, level: f.level === 'error' ? 'warn' : f.level })
  if (!report.manifest) {
    add(await missingManifest(spec, report.searched, run))
    return
  }
  if (!chosen) return
  add({ level: 'ok', code: 'manifest-ok', message: `Manifest ${chosen.file} is valid.` })

  // Windows allows a path relative to the manifest's folder (Chrome docs); elsewhere it is absolute by now.
  const pp = pathFor(ienv.platform)
  const raw = String(chosen.manifest.path)
  const hostPath = pp.isAbsolute(raw) ? raw : pp.resolve(pp.dirname(chosen.file), raw)
  const pathProblems = await checkHostPath(hostPath, ienv.platform)
  for (const f of pathProblems) add(f)
  if (pathProblems.length > 0) return
  for (const f of await appModeFindings(hostPath, o.name)) add(f)
  const browserPath = o.browserPath ?? DESKTOP_PATH[ienv.platform]
  const shellPath = ienv.env.PATH ?? ienv.env.Path
  const interpreter = await checkInterpreter(hostPath, ienv.platform, browserPath, shellPath, o.name)
  for (const f of interpreter) add(f)
  if (interpreter.length > 0 || o.startHost === false) return

  const args =
    spec.family === 'chromium'
      ? [ids.origins[0] ?? firstString(chosen.manifest.allowed_origins) ?? 'chrome-extension://doctor/']
      : [chosen.file, ids.geckoIds[0] ?? firstString(chosen.manifest.allowed_extensions) ?? 'doctor@nmrpc']
  if (spec.family === 'chromium' && ienv.platform === 'win32') args.push('--parent-window=0')
  const timeoutMs = o.timeoutMs ?? 30_000
  const probe = (env: Record<string, string>, tag: string, loud: boolean) => {
    // Browsers sharing a manifest folder (Firefox, Thunderbird) would start the same host the same way.
    const key = JSON.stringify([hostPath, args, tag])
    let p = run.probes.get(key)
    if (!p) {
      p = probeHost({
        command: hostPath,
        args,
        timeoutMs,
        env,
        ...(loud && o.onProgress
          ? {
              onWait: (ms: number) =>
                o.onProgress?.(
                  `Waiting for ${hostPath} to answer (${Math.round(ms / 1000)} s so far; browsers wait too, doctor stops at ${Math.round(timeoutMs / 1000)} s)...`,
                ),
            }
          : {}),
      })
      run.probes.set(key, p)
    }
    return p
  }
  const outcome = await probe(browserEnv(ienv.platform, ienv.env, browserPath), 'browser', true)
  let shellOutcome: ProbeOutcome | undefined
  // A host that fails only with the browser's PATH: start it once more as the user's shell would, to tell.
  if (
    (outcome.kind === 'exited' || outcome.kind === 'spawn-error') &&
    shellPath !== undefined &&
    shellPath !== browserPath
  ) {
    shellOutcome = await probe(browserEnv(ienv.platform, ienv.env, shellPath), 'shell', false)
  }
  const launcherText = await readFile(hostPath, 'utf8').then(
    (t) => t.slice(0, 64 * 1024),
    () => '',
  )
  const context = {
    name: o.name,
    hostPath,
    args,
    family: spec.family,
    browserPath,
    launcherText,
    timeoutMs,
    slowMs: o.slowMs ?? 1000,
  }
  for (const f of probeFindings(outcome, context, shellOutcome)) add(f)
}

/** No manifest where this browser looks: say so, and where one is that other browsers (or profiles) read. */
async function missingManifest(spec: Spec, searched: string[], run: Run): Promise<Finding> {
  const { o, ienv } = run
  const where =
    spec.id === 'user-data-dir'
      ? `--user-data-dir ${spec.title.replace(/^Chromium profile /, '')}`
      : `--browser ${spec.id}`
  const install = `nmrpc install --name ${o.name} --host /abs/path/host.js --extension-id <id> ${where}`
  const found: { file: string; readers: string[]; family: Family }[] = []
  for (const e of run.elsewhere) {
    // Another family's folder holds another dialect: no help to this browser, and not a mistake.
    if (e.family !== spec.family) continue
    const r = await readPlace(e.place, o.name, ienv)
    if (r.file === undefined || searched.includes(r.where)) continue
    if (!found.some((f) => f.file === r.file))
      found.push({ file: r.file, readers: e.readers, family: e.family })
  }
  const looked = `${spec.title} finds no manifest for ${o.name}; it looked in: ${searched.join(', ')}.`
  if (found.length === 0) {
    return { level: 'error', code: 'missing-manifest', message: looked, fix: install }
  }
  const there = found.map((f) => `${f.file} (read by ${f.readers.join(', ')})`).join('; ')
  const copy =
    searched[0] !== undefined && ienv.platform !== 'win32'
      ? `, or copy ${found[0]!.file} to ${searched[0]}`
      : ''
  return {
    level: 'error',
    code: 'manifest-elsewhere',
    message: `${looked} There is one in a place ${spec.title} does not read: ${there}.`,
    fix: `Install it where ${spec.title} looks: ${install}${copy}.`,
  }
}

function firstString(v: unknown): string | undefined {
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined
}

function expand(p: string, ienv: InstallEnv): string {
  return p.startsWith('~/') ? pathFor(ienv.platform).join(ienv.home, p.slice(2)) : p
}
