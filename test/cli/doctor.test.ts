import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type DoctorReport, doctor } from '../../src/node/install/doctor.js'
import { shQuote } from '../../src/node/install/launcher.js'
import type { InstallEnv } from '../../src/node/install/platform.js'

const RAW_HOST = fileURLToPath(new URL('./fixtures/rawHost.mjs', import.meta.url))
const ID = 'abcdefghijklmnopabcdefghijklmnop'
const NAME = 'com.acme.app'
const temps: string[] = []
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true })
})

/** A temp home with a launcher that runs the raw fixture host in `mode`. */
function setup(mode = 'good', extra: string[] = []): { home: string; launcher: string; env: InstallEnv } {
  const home = mkdtempSync(path.join(tmpdir(), 'nmrpc-doctor-'))
  temps.push(home)
  const launcher = path.join(home, 'launcher.sh')
  writeFileSync(
    launcher,
    `#!/bin/sh\nNMRPC_FIXTURE=${mode} exec ${shQuote(process.execPath)} ${shQuote(RAW_HOST)} "$@"\n`,
    { mode: 0o755 },
  )
  const seen = new Set(extra)
  return { home, launcher, env: { platform: 'linux', home, env: {}, exists: (p) => seen.has(p) } }
}
function writeManifest(dir: string, content: unknown): string {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${NAME}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}
const chromiumDir = (home: string) => path.join(home, '.config/chromium/NativeMessagingHosts')
const manifest = (launcher: string, more: Record<string, unknown> = {}) => ({
  name: NAME,
  description: 'x',
  path: launcher,
  type: 'stdio',
  allowed_origins: [`chrome-extension://${ID}/`],
  ...more,
})
/** Findings as lines, with the temp home and timings made stable. */
function lines(r: DoctorReport, home: string): string[] {
  return r.browsers.flatMap((b) =>
    b.findings.map((f) =>
      `${b.browser} ${f.level} ${f.code}: ${f.message}${f.fix ? ` | fix: ${f.fix}` : ''}`
        .replaceAll(home, '~')
        .replace(/\d+ ms/g, 'N ms'),
    ),
  )
}

describe('doctor', () => {
  it('passes a good host and reports its hello', async () => {
    const { home, launcher, env } = setup()
    writeManifest(chromiumDir(home), manifest(launcher))
    const r = await doctor({ name: NAME, browsers: ['chromium'], extensionIds: [ID], env })
    expect(r.ok).toBe(true)
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium ok manifest-ok: Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is valid.",
        "chromium ok hello: Host answered the hello in N ms (fixture/1, protocol 1).",
      ]
    `)
  })

  it('catches a missing manifest and says where it looked', async () => {
    const { home, env } = setup()
    const r = await doctor({ name: NAME, browsers: ['chromium'], env })
    expect(r.ok).toBe(false)
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium error missing-manifest: Chromium finds no manifest for com.acme.app; it looked in: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json, /etc/chromium/native-messaging-hosts/com.acme.app.json. | fix: nmrpc install --name com.acme.app --host /abs/path/host.js --extension-id <id> --browser chromium",
      ]
    `)
  })

  it('catches bad JSON', async () => {
    const { home, env } = setup()
    writeManifest(chromiumDir(home), '{"name": "com.acme.app",}')
    const r = await doctor({ name: NAME, browsers: ['chromium'], env })
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium error bad-json: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is not valid JSON: Expected double-quoted property name in JSON at position 24. | fix: Fix the JSON, or nmrpc install --name com.acme.app ... rewrites it.",
      ]
    `)
  })

  it('catches an origin without its trailing slash, and an id the manifest does not allow', async () => {
    const { home, launcher, env } = setup()
    writeManifest(chromiumDir(home), manifest(launcher, { allowed_origins: [`chrome-extension://${ID}`] }))
    const r = await doctor({ name: NAME, browsers: ['chromium'], extensionIds: [ID], env })
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium error origin-no-slash: allowed_origins entry "chrome-extension://abcdefghijklmnopabcdefghijklmnop" lacks the trailing slash; Chromium matches origins exactly and ignores it. | fix: Write "chrome-extension://abcdefghijklmnopabcdefghijklmnop/".",
        "chromium error origin-missing: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json does not allow chrome-extension://abcdefghijklmnopabcdefghijklmnop/. | fix: Add "chrome-extension://abcdefghijklmnopabcdefghijklmnop/" to allowed_origins, or nmrpc install --name com.acme.app ... rewrites it.",
      ]
    `)
  })

  it('catches a host path that is not executable, or relative', async () => {
    const { home, launcher, env } = setup()
    chmodSync(launcher, 0o644)
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home)).toMatchInlineSnapshot(`
      [
        "chromium ok manifest-ok: Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is valid.",
        "chromium error path-not-executable: Host path ~/launcher.sh is not executable. | fix: chmod +x '~/launcher.sh'",
      ]
    `)
    writeManifest(chromiumDir(home), manifest('launcher.sh'))
    expect(lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home)).toMatchInlineSnapshot(`
      [
        "chromium error relative-path: "path" "launcher.sh" in ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is relative; browsers on linux require an absolute path. | fix: Use the absolute path, or nmrpc install --name com.acme.app ... rewrites it.",
      ]
    `)
  })

  it('catches a host that prints to stdout', async () => {
    const { home, launcher, env } = setup('noisy')
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home)).toMatchInlineSnapshot(`
      [
        "chromium ok manifest-ok: Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is valid.",
        "chromium error stray-stdout: Host wrote bytes that are not a native messaging frame to stdout: "Server starting on port 8080\\n". The browser would drop the connection. | fix: Log to stderr (console.error); nothing may print to stdout before host.listen() takes it over.",
      ]
    `)
  })

  it('catches a host that crashes, with its stderr', async () => {
    const { home, launcher, env } = setup('crash')
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(
      lines(await doctor({ name: NAME, browsers: ['chromium'], extensionIds: [ID], env }), home),
    ).toMatchInlineSnapshot(`
      [
        "chromium ok manifest-ok: Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is valid.",
        "chromium error host-crashed: Host exited (code 3) before answering; the extension would see "Native host has exited." Its stderr ends with: Error: config file /etc/acme.json not found | fix: Run it by hand to see: ~/launcher.sh chrome-extension://abcdefghijklmnopabcdefghijklmnop/",
      ]
    `)
  })

  it('catches a protocol version mismatch', async () => {
    const { home, launcher, env } = setup('v2')
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(
      lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home).at(-1),
    ).toMatchInlineSnapshot(
      `"chromium error protocol-mismatch: Host speaks nmrpc protocol 2 (nmrpc/2.0.0); this nmrpc speaks 1, so every call would fail. | fix: Use the same nmrpc major version in the host and the extension."`,
    )
  })

  it('catches a host that is not an nmrpc host', async () => {
    const { home, launcher, env } = setup('foreign')
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(
      lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home).at(-1),
    ).toMatchInlineSnapshot(
      `"chromium error not-nmrpc: Host answered {"echo":{"t":"hello","v":1,"impl":"nmrpc-doctor"}} instead of an nmrpc hello; it is not an nmrpc host (or an old one). | fix: Serve it with defineHost({...}).listen() from nmrpc/server, or check that the manifest points at the right program."`,
    )
  })

  it('catches a host that never answers', async () => {
    const { home, launcher, env } = setup('silent')
    writeManifest(chromiumDir(home), manifest(launcher))
    const found = lines(await doctor({ name: NAME, browsers: ['chromium'], env, timeoutMs: 500 }), home)
    expect(found.at(-1)).toMatch(/^chromium error host-silent: Host did not answer the hello within N ms\./)
  })

  it('follows Firefox-family search order: an invalid manifest is skipped for the next valid one', async () => {
    const { home, launcher, env } = setup()
    const firefoxManifest = {
      name: NAME,
      description: 'x',
      path: launcher,
      type: 'stdio',
      allowed_extensions: ['app@acme.com'],
    }
    writeManifest(path.join(home, '.waterfox/native-messaging-hosts'), {
      ...firefoxManifest,
      allowed_extensions: undefined,
      allowed_origins: [`chrome-extension://${ID}/`],
    })
    const good = writeManifest(path.join(home, '.mozilla/native-messaging-hosts'), firefoxManifest)
    const r = await doctor({ name: NAME, browsers: ['waterfox'], env })
    expect(r.browsers[0]!.manifest).toBe(good)
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "waterfox warn no-extensions: Skipped by Waterfox: ~/.waterfox/native-messaging-hosts/com.acme.app.json has no "allowed_extensions", so no Firefox add-on may connect. It has "allowed_origins", which only Chromium reads. | fix: Add "allowed_extensions": ["<gecko id>"].",
        "waterfox ok manifest-ok: Manifest ~/.mozilla/native-messaging-hosts/com.acme.app.json is valid.",
        "waterfox ok hello: Host answered the hello in N ms (fixture/1, protocol 1).",
      ]
    `)
  })

  it('explains Snap and Flatpak browsers', async () => {
    const { home, launcher, env } = setup('good', ['/snap/bin/chromium'])
    writeManifest(chromiumDir(home), manifest(launcher))
    const r = await doctor({ name: NAME, browsers: ['chromium', 'firefox-flatpak'], env, startHost: false })
    expect(lines(r, home).filter((l) => l.includes('sandbox'))).toMatchInlineSnapshot(`
      [
        "chromium warn sandbox-snap: Chromium is installed as a Snap: it keeps its profile in ~/snap/chromium/common/chromium and its confinement keeps it from running programs outside the snap, such as the system node. | fix: Use a Chromium that is not a Snap (a .deb, or Google Chrome), or install with --user-data-dir ~/snap/chromium/common/chromium and a host the snap can run.",
        "firefox-flatpak info sandbox-flatpak: Flatpak Firefox starts hosts inside its sandbox, where the system node may be missing; install with --node pointing at a node inside the sandbox, or make the launcher run \`flatpak-spawn --host\` (needs \`flatpak override --user --talk-name=org.freedesktop.Flatpak org.mozilla.firefox\`).",
      ]
    `)
  })

  it('checks only installed browsers by default, and does not fail for those without the host', async () => {
    const { home, launcher } = setup()
    const env: InstallEnv = {
      platform: 'linux',
      home,
      env: {},
      exists: (p) => p === path.join(home, '.config/chromium') || p === path.join(home, '.mozilla/firefox'),
    }
    writeManifest(chromiumDir(home), manifest(launcher))
    const r = await doctor({ name: NAME, env })
    expect(r.ok).toBe(true)
    expect(r.browsers.map((b) => [b.browser, b.findings.map((f) => `${f.level} ${f.code}`)])).toEqual([
      ['chromium', ['ok manifest-ok', 'ok hello']],
      ['firefox', ['info missing-manifest']],
    ])
  })
})
