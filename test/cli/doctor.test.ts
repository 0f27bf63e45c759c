import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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
        "chromium error missing-manifest: Chromium finds no manifest for com.acme.app; it looked in: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json, /etc/chromium/native-messaging-hosts/com.acme.app.json. In Chromium the extension sees "Specified native messaging host not found." | fix: nmrpc install --name com.acme.app --host /abs/path/host.js --extension-id <id> --browser chromium",
      ]
    `)
  })

  it('catches bad JSON', async () => {
    const { home, env } = setup()
    writeManifest(chromiumDir(home), '{"name": "com.acme.app",}')
    const r = await doctor({ name: NAME, browsers: ['chromium'], env })
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium error bad-json: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is not valid JSON: Expected double-quoted property name in JSON at position 24. In Chromium the extension sees "Specified native messaging host not found." | fix: Fix the JSON, or nmrpc install --name com.acme.app ... rewrites it.",
      ]
    `)
  })

  it('catches an origin without its trailing slash, and an id the manifest does not allow', async () => {
    const { home, launcher, env } = setup()
    writeManifest(chromiumDir(home), manifest(launcher, { allowed_origins: [`chrome-extension://${ID}`] }))
    const r = await doctor({ name: NAME, browsers: ['chromium'], extensionIds: [ID], env })
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "chromium error origin-no-slash: allowed_origins entry "chrome-extension://abcdefghijklmnopabcdefghijklmnop" lacks the trailing slash; Chromium matches origins exactly and ignores it. In Chromium the extension sees "Specified native messaging host not found." | fix: Write "chrome-extension://abcdefghijklmnopabcdefghijklmnop/".",
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
        "chromium error path-not-executable: Host path ~/launcher.sh is not executable. In Chromium the extension sees "Native host has exited." | fix: chmod +x '~/launcher.sh'",
      ]
    `)
    writeManifest(chromiumDir(home), manifest('launcher.sh'))
    expect(lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home)).toMatchInlineSnapshot(`
      [
        "chromium error relative-path: "path" "launcher.sh" in ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is relative; browsers on linux require an absolute path. In Chromium the extension sees "Specified native messaging host not found." | fix: Use the absolute path, or nmrpc install --name com.acme.app ... rewrites it.",
      ]
    `)
  })

  it('catches a host that prints to stdout', async () => {
    const { home, launcher, env } = setup('noisy')
    writeManifest(chromiumDir(home), manifest(launcher))
    expect(lines(await doctor({ name: NAME, browsers: ['chromium'], env }), home)).toMatchInlineSnapshot(`
      [
        "chromium ok manifest-ok: Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.app.json is valid.",
        "chromium error stray-stdout: Host wrote bytes that are not a native messaging frame to stdout: "Server starting on port 8080\\n". The browser drops the connection. In Chromium the extension sees "Error when communicating with the native messaging host." | fix: Log to stderr (console.error); nothing may print to stdout before host.listen() takes it over.",
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
        "chromium error host-crashed: Host exited (code 3) before answering. In Chromium the extension sees "Native host has exited." Its stderr ends with: Error: config file /etc/acme.json not found | fix: Run it by hand to see: ~/launcher.sh chrome-extension://abcdefghijklmnopabcdefghijklmnop/",
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
    expect(found.at(-1)).toMatch(
      /^chromium error host-silent: Host did not answer the hello within \d+ s; a browser would keep waiting/,
    )
    expect(found.at(-1)).toContain(
      `If it is only slow to start, wait longer: nmrpc doctor --name ${NAME} --timeout 120000.`,
    )
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
        "waterfox warn no-extensions: Waterfox skips this manifest: ~/.waterfox/native-messaging-hosts/com.acme.app.json has no "allowed_extensions", so no Firefox add-on may connect. It has "allowed_origins", which only Chromium reads. | fix: Add "allowed_extensions": ["<gecko id>"].",
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

describe('doctor sees what the browser sees', () => {
  /** A folder standing in for nvm's bin: on the shell's PATH, never on a desktop session's. */
  function shellBin(home: string, program: string): string {
    const bin = path.join(home, 'nvm', 'bin')
    mkdirSync(bin, { recursive: true })
    symlinkSync(process.execPath, path.join(bin, program))
    return bin
  }

  it('finds a #!/usr/bin/env interpreter that only the shell PATH has, names it, the PATH and the fix', async () => {
    const { home } = setup()
    const bin = shellBin(home, 'nmrpc-test-node')
    const script = path.join(home, 'host.mjs')
    writeFileSync(script, `#!/usr/bin/env nmrpc-test-node\nimport '${RAW_HOST}'\n`, { mode: 0o755 })
    writeManifest(chromiumDir(home), manifest(script))
    const env: InstallEnv = {
      platform: 'linux',
      home,
      env: { PATH: `${bin}:/usr/bin:/bin` },
      exists: () => false,
    }
    const r = await doctor({ name: NAME, browsers: ['chromium', 'firefox'], env })
    expect(r.ok).toBe(false)
    const f = r.browsers[0]!.findings.find((x) => x.level === 'error')
    expect(f).toMatchObject({ code: 'interpreter-not-found', browserSays: 'Native host has exited.' })
    expect(f?.message.replaceAll(home, '~')).toMatchInlineSnapshot(
      `"Host ~/host.mjs starts with "#!/usr/bin/env nmrpc-test-node": env looks for "nmrpc-test-node" on the PATH browsers give their hosts (/usr/local/bin:/usr/bin:/bin), and it is not there; your shell finds it at ~/nvm/bin/nmrpc-test-node, on a PATH a browser started from the desktop does not get. In Chromium the extension sees "Native host has exited.""`,
    )
    expect(f?.fix?.replaceAll(home, '~')).toMatchInlineSnapshot(
      `"Register it with nmrpc install --name com.acme.app --host ~/host.mjs --extension-id <id> (its launcher runs node by absolute path), or make the #! line absolute: #!~/nvm/bin/nmrpc-test-node."`,
    )
    // The same host is fine for a browser whose PATH has it (--browser-path).
    const ok = await doctor({ name: NAME, browsers: ['chromium'], env, browserPath: `${bin}:/usr/bin:/bin` })
    expect(ok.browsers[0]!.findings.map((x) => x.code)).toEqual(['manifest-ok', 'hello'])
  })

  it('finds a launcher that runs a program by name that only the shell PATH has', async () => {
    const { home } = setup()
    const bin = shellBin(home, 'nmrpc-test-node')
    const launcher = path.join(home, 'launcher.sh')
    writeFileSync(launcher, `#!/bin/sh\nexec nmrpc-test-node ${shQuote(RAW_HOST)} "$@"\n`, { mode: 0o755 })
    writeManifest(chromiumDir(home), manifest(launcher))
    const env: InstallEnv = {
      platform: 'linux',
      home,
      env: { PATH: `${bin}:/usr/bin:/bin` },
      exists: () => false,
    }
    const r = await doctor({ name: NAME, browsers: ['chromium'], env })
    const f = r.browsers[0]!.findings.at(-1)
    expect(f?.code).toBe('needs-shell-path')
    expect(f?.message).toContain(
      'exits (code 127) when started with the PATH browsers give their hosts (/usr/local/bin:/usr/bin:/bin)',
    )
    expect(f?.fix).toContain('nmrpc install --name com.acme.app')
  })

  it('reports a slow start as a warning with the time, says it is waiting, and passes', async () => {
    const { home, launcher, env } = setup('slow')
    writeManifest(chromiumDir(home), manifest(launcher))
    const progress: string[] = []
    const r = await doctor({ name: NAME, browsers: ['chromium'], env, onProgress: (m) => progress.push(m) })
    expect(r.ok).toBe(true)
    const slow = r.browsers[0]!.findings.find((f) => f.code === 'slow-start')
    expect(slow?.level).toBe('warn')
    expect(slow?.message).toMatch(
      /^Host took \d+\.\d s to answer the hello\. Browsers wait for it, so calls work/,
    )
    expect(slow?.message).toContain('Likely cause: work done before host.listen()')
    expect(progress[0]).toMatch(
      /^Waiting for .*launcher\.sh to answer \(\d+ s so far; browsers wait too, doctor stops at 30 s\)\.\.\.$/,
    )
  })

  it('finds the manifest in another browser folder and names who reads it; without --browser it fails too', async () => {
    const { home, launcher } = setup()
    const chrome = writeManifest(
      path.join(home, '.config/google-chrome/NativeMessagingHosts'),
      manifest(launcher),
    )
    const env: InstallEnv = {
      platform: 'linux',
      home,
      env: {},
      exists: (p) =>
        p === path.join(home, '.config/google-chrome') || p === path.join(home, '.config/chromium'),
    }
    const one = await doctor({ name: NAME, browsers: ['chromium'], env })
    expect(one.ok).toBe(false)
    expect(lines(one, home)).toMatchInlineSnapshot(`
      [
        "chromium error manifest-elsewhere: Chromium finds no manifest for com.acme.app; it looked in: ~/.config/chromium/NativeMessagingHosts/com.acme.app.json, /etc/chromium/native-messaging-hosts/com.acme.app.json. There is one in a place Chromium does not read: ~/.config/google-chrome/NativeMessagingHosts/com.acme.app.json (read by Google Chrome). In Chromium the extension sees "Specified native messaging host not found." | fix: Install it where Chromium looks: nmrpc install --name com.acme.app --host /abs/path/host.js --extension-id <id> --browser chromium, or copy ~/.config/google-chrome/NativeMessagingHosts/com.acme.app.json to ~/.config/chromium/NativeMessagingHosts/com.acme.app.json.",
      ]
    `)
    const all = await doctor({ name: NAME, env })
    expect(all.ok).toBe(false)
    expect(all.browsers.map((b) => [b.browser, b.findings.map((f) => `${f.level} ${f.code}`)])).toEqual([
      ['chrome', ['ok manifest-ok', 'ok hello']],
      ['chromium', ['error manifest-elsewhere']],
    ])
    expect(all.browsers[1]!.findings[0]!.message).toContain(`${chrome} (read by Google Chrome)`)
  })

  it('gives one headline per cause: the reason Firefox skipped the only file, not "no manifest"', async () => {
    const { home, launcher, env } = setup()
    writeManifest(path.join(home, '.mozilla/native-messaging-hosts'), {
      ...manifest(launcher, { allowed_origins: undefined, allowed_extensions: ['app@acme.com'] }),
      name: 'com.acme.other',
    })
    const r = await doctor({ name: NAME, browsers: ['firefox'], env })
    expect(lines(r, home)).toMatchInlineSnapshot(`
      [
        "firefox error name-mismatch: Firefox skips this manifest: ~/.mozilla/native-messaging-hosts/com.acme.app.json has "name": "com.acme.other", but the browser asked for "com.acme.app". In Firefox the extension sees "No such native application com.acme.app". | fix: Set "name": "com.acme.app".",
      ]
    `)
    expect(r.browsers[0]!.findings.map((f) => [f.code, f.browserSays])).toEqual([
      ['name-mismatch', 'No such native application com.acme.app'],
    ])
  })

  it("says each browser's own words for a crash: Chromium's text, Firefox's silence", async () => {
    const { home, launcher, env } = setup('crash')
    writeManifest(chromiumDir(home), manifest(launcher))
    writeManifest(
      path.join(home, '.mozilla/native-messaging-hosts'),
      manifest(launcher, { allowed_origins: undefined, allowed_extensions: ['app@acme.com'] }),
    )
    const r = await doctor({ name: NAME, browsers: ['chromium', 'firefox'], env })
    const crash = r.browsers.map((b) => b.findings.find((f) => f.code === 'host-crashed'))
    expect(crash.map((f) => f?.browserSays)).toEqual(['Native host has exited.', null])
    expect(crash[1]?.message).toContain(
      'Firefox closes the Port with no error text at all. Its stderr ends with:',
    )
  })

  it('finds a profile install from its receipt, without --user-data-dir', async () => {
    const { home, launcher, env } = setup()
    const profile = path.join(home, 'profile')
    writeManifest(path.join(profile, 'NativeMessagingHosts'), manifest(launcher))
    const hostDir = path.join(home, '.local/share/nmrpc', NAME)
    mkdirSync(hostDir, { recursive: true })
    writeFileSync(
      path.join(hostDir, 'receipt.json'),
      JSON.stringify({
        nmrpc: 1,
        name: NAME,
        entries: [],
        browsers: ['user-data-dir'],
        userDataDirs: [profile],
      }),
    )
    const r = await doctor({ name: NAME, env, startHost: false })
    expect(r.browsers.map((b) => [b.browser, b.manifest])).toEqual([
      ['user-data-dir', path.join(profile, 'NativeMessagingHosts', `${NAME}.json`)],
    ])
    expect(r.ok).toBe(true)
  })
})
