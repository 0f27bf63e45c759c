import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { InstallRefused } from '../../src/node/install/errors.js'
import { install } from '../../src/node/install/install.js'
import { launcherScript } from '../../src/node/install/launcher.js'
import { parseExtensionIds, validateHostName } from '../../src/node/install/names.js'
import { planInstall } from '../../src/node/install/plan.js'
import type { InstallEnv } from '../../src/node/install/platform.js'
import { formatRegCommand, parseRegQueryDefault } from '../../src/node/install/registry.js'
import { uninstall } from '../../src/node/install/uninstall.js'

const CHROME_ID = 'abcdefghijklmnopabcdefghijklmnop'
const GECKO_ID = 'app@acme.com'
const temps: string[] = []
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true })
})
function tempHome(): string {
  const t = mkdtempSync(path.join(tmpdir(), 'nmrpc-cli-'))
  temps.push(t)
  return t
}
/** A Linux machine whose only "installed" browsers are the ones in `bins` (on an empty PATH dir of our own). */
function linuxEnv(home: string, bins: string[] = []): InstallEnv {
  const seen = new Set(bins.map((b) => path.join(home, 'bin', b)))
  return { platform: 'linux', home, env: { PATH: path.join(home, 'bin') }, exists: (p) => seen.has(p) }
}
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
}
const message = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('did not throw')
}

describe('planInstall on Windows', () => {
  const win: InstallEnv = {
    platform: 'win32',
    home: 'C:\\Users\\u',
    env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' },
  }
  const base = {
    name: 'com.acme.app',
    host: 'C:\\acme\\host.js',
    node: 'C:\\Program Files\\nodejs\\node.exe',
    env: win,
  }

  it('writes registry values with reg.exe, in the view each browser reads first', () => {
    const plan = planInstall({
      ...base,
      extensionIds: [CHROME_ID, GECKO_ID],
      browsers: ['chrome', 'edge', 'chromium', 'firefox'],
    })
    const lines = plan.actions.map((a) =>
      a.kind === 'file' ? `file ${a.path}` : formatRegCommand(a.command),
    )
    expect(lines).toMatchInlineSnapshot(`
      [
        "file C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\launcher.cmd",
        "file C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\chromium.json",
        "reg.exe add HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts\\com.acme.app /ve /t REG_SZ /d C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\chromium.json /f /reg:32",
        "reg.exe add HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\com.acme.app /ve /t REG_SZ /d C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\chromium.json /f /reg:32",
        "reg.exe add HKCU\\Software\\Chromium\\NativeMessagingHosts\\com.acme.app /ve /t REG_SZ /d C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\chromium.json /f /reg:32",
        "file C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\firefox.json",
        "reg.exe add HKCU\\Software\\Mozilla\\NativeMessagingHosts\\com.acme.app /ve /t REG_SZ /d C:\\Users\\u\\AppData\\Local\\nmrpc\\com.acme.app\\firefox.json /f /reg:64",
      ]
    `)
  })

  it('writes HKLM for --scope system, under %ProgramData%', () => {
    const plan = planInstall({
      ...base,
      extensionIds: [GECKO_ID],
      browsers: ['firefox'],
      scope: 'system',
      env: { ...win, env: { ProgramData: 'D:\\PD' } },
    })
    expect(
      plan.actions.map((a) => (a.kind === 'file' ? `file ${a.path}` : a.command.args)),
    ).toMatchInlineSnapshot(`
      [
        "file D:\\PD\\nmrpc\\com.acme.app\\launcher.cmd",
        "file D:\\PD\\nmrpc\\com.acme.app\\firefox.json",
        [
          "add",
          "HKLM\\Software\\Mozilla\\NativeMessagingHosts\\com.acme.app",
          "/ve",
          "/t",
          "REG_SZ",
          "/d",
          "D:\\PD\\nmrpc\\com.acme.app\\firefox.json",
          "/f",
          "/reg:32",
        ],
      ]
    `)
  })

  it('writes a .cmd launcher with @echo off, CRLF and %*', () => {
    expect(
      launcherScript('win32', 'com.acme.app', 'C:\\Program Files\\nodejs\\node.exe', 'C:\\acme\\host.js'),
    ).toMatchInlineSnapshot(`
      "@echo off
      rem nmrpc launcher for native host com.acme.app; written by "nmrpc install", removed by "nmrpc uninstall".
      cd /d "C:\\acme"
      "C:\\Program Files\\nodejs\\node.exe" "C:\\acme\\host.js" %*
      "
    `)
  })

  it('refuses paths cmd.exe would misread and --user-data-dir', () => {
    expect(
      message(() =>
        planInstall({ ...base, host: 'C:\\50%\\host.js', extensionIds: [CHROME_ID], browsers: ['chrome'] }),
      ),
    ).toMatchInlineSnapshot(
      `"Host path "C:\\\\50%\\\\host.js" contains "%", which cmd.exe (used by browsers to start the .cmd launcher) treats as a special character even inside quotes. Move it to a folder without %!^&|<>"."`,
    )
    expect(
      message(() => planInstall({ ...base, extensionIds: [CHROME_ID], userDataDir: 'C:\\p' })),
    ).toMatchInlineSnapshot(
      `"--user-data-dir does not apply on Windows: Chromium there finds hosts only through the registry (HKCU/HKLM ...\\NativeMessagingHosts), whatever the profile. Drop --user-data-dir."`,
    )
  })

  it('reads the default value out of reg query output', () => {
    const out =
      '\r\nHKEY_CURRENT_USER\\Software\\Mozilla\\NativeMessagingHosts\\com.acme.app\r\n    (Standard)    REG_SZ    C:\\Users\\u\\m.json\r\n\r\n'
    expect(parseRegQueryDefault(out)).toBe('C:\\Users\\u\\m.json')
    expect(
      parseRegQueryDefault('ERROR: The system was unable to find the specified registry key or value.'),
    ).toBeUndefined()
  })
})

describe('planInstall on macOS', () => {
  it('uses the user Library for user scope and /Library for system scope', () => {
    const mac: InstallEnv = { platform: 'darwin', home: '/Users/u', env: {} }
    const o = {
      name: 'com.acme.app',
      host: '/opt/acme/host.js',
      node: '/usr/local/bin/node',
      extensionIds: [CHROME_ID, GECKO_ID],
      browsers: ['chrome', 'firefox', 'thunderbird'],
      env: mac,
    }
    const paths = (scope: 'user' | 'system') =>
      planInstall({ ...o, scope }).actions.map((a) => (a.kind === 'file' ? a.path : ''))
    expect(paths('user')).toMatchInlineSnapshot(`
      [
        "/Users/u/Library/Application Support/nmrpc/com.acme.app/launcher.sh",
        "/Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts/com.acme.app.json",
        "/Users/u/Library/Application Support/Mozilla/NativeMessagingHosts/com.acme.app.json",
        "/Users/u/Library/Mozilla/NativeMessagingHosts/com.acme.app.json",
      ]
    `)
    expect(paths('system')).toMatchInlineSnapshot(`
      [
        "/Library/Application Support/nmrpc/com.acme.app/launcher.sh",
        "/Library/Google/Chrome/NativeMessagingHosts/com.acme.app.json",
        "/Library/Application Support/Mozilla/NativeMessagingHosts/com.acme.app.json",
      ]
    `)
  })
})

describe('validation', () => {
  it('explains refused host names with Chrome rule and a suggestion', () => {
    expect(message(() => validateHostName('com.Acme-app'))).toMatchInlineSnapshot(
      `"Host name "com.Acme-app" is not allowed: "A", "-" are not lowercase letters, digits, "_" or ".". Chrome accepts only lowercase letters, digits, "_" and "." (no leading, trailing or double dots) and otherwise fails with "Invalid native messaging host name specified". Try "com.acme_app"."`,
    )
    expect(message(() => validateHostName('.com..acme'))).toMatchInlineSnapshot(
      `"Host name ".com..acme" is not allowed: it starts or ends with a dot, or has two dots in a row. Chrome accepts only lowercase letters, digits, "_" and "." (no leading, trailing or double dots) and otherwise fails with "Invalid native messaging host name specified". Try "com.acme"."`,
    )
    for (const ok of ['com.acme.app', 'a', 'x_1.y_2']) expect(() => validateHostName(ok)).not.toThrow()
  })

  it('sorts extension ids and adds the trailing slash', () => {
    expect(
      parseExtensionIds([
        `chrome-extension://${CHROME_ID}`,
        CHROME_ID,
        GECKO_ID,
        '{12345678-1234-1234-1234-123456789abc}',
      ]),
    ).toEqual({
      origins: [`chrome-extension://${CHROME_ID}/`],
      geckoIds: [GECKO_ID, '{12345678-1234-1234-1234-123456789abc}'],
    })
    expect(message(() => parseExtensionIds(['not an id']))).toMatchInlineSnapshot(
      `"Extension id "not an id" is neither a Chromium id (32 letters a-p, as shown on chrome://extensions) nor a Firefox add-on id (like "app@acme.com" or "{uuid}", from browser_specific_settings.gecko.id)."`,
    )
  })

  it('refuses relative paths and says which absolute path was meant', () => {
    const env: InstallEnv = { platform: 'linux', home: '/home/u', env: {} }
    expect(
      message(() =>
        planInstall({
          name: 'a.b',
          host: './dist/host.js',
          extensionIds: [CHROME_ID],
          browsers: ['chromium'],
          env,
          cwd: '/src/app',
        }),
      ),
    ).toMatchInlineSnapshot(
      `"Host path "./dist/host.js" is relative; browsers start hosts from a folder of their own choosing, so it must be absolute. Use "/src/app/dist/host.js"."`,
    )
  })

  it('says what to do when no browser is installed, or one lacks an id of its kind', () => {
    const env: InstallEnv = { platform: 'linux', home: '/home/u', env: {}, exists: () => false }
    expect(
      message(() => planInstall({ name: 'a.b', host: '/h.js', extensionIds: [CHROME_ID], env })),
    ).toMatchInlineSnapshot(
      `"No installed browser found on this linux machine. Name one or more with --browser (chrome, chrome-beta, chrome-dev, chrome-canary, chromium, edge, edge-beta, edge-dev, edge-canary, brave, brave-beta, brave-nightly, vivaldi, opera, firefox, firefox-flatpak, librewolf, waterfox, thunderbird, tor-browser), or use --user-data-dir DIR for a Chromium profile."`,
    )
    expect(
      message(() =>
        planInstall({ name: 'a.b', host: '/h.js', extensionIds: [CHROME_ID], browsers: ['firefox'], env }),
      ),
    ).toMatchInlineSnapshot(`"Firefox needs a Firefox add-on id; pass it with --extension-id."`)
    expect(
      message(() =>
        planInstall({ name: 'a.b', host: '/h.js', extensionIds: [CHROME_ID], browsers: ['netscape'], env }),
      ),
    ).toContain('Unknown browser "netscape"')
  })
})

describe('install and uninstall on this machine (temp HOME)', () => {
  it('installs for every installed browser with ids, skips the rest, and is idempotent', async () => {
    const home = tempHome()
    const env = linuxEnv(home, ['chromium', 'firefox-esr'])
    const host = path.join(home, 'host.js')
    writeFileSync(host, '')
    const r = await install({ name: 'com.acme.app', host, extensionIds: [CHROME_ID], env })
    expect(r.skipped).toEqual([{ browser: 'firefox', reason: 'no Firefox extension id given' }])
    expect(r.actions.map((a) => [a.kind === 'file' ? path.relative(home, a.path) : '', a.status])).toEqual([
      ['.local/share/nmrpc/com.acme.app/launcher.sh', 'written'],
      ['.config/chromium/NativeMessagingHosts/com.acme.app.json', 'written'],
    ])
    const manifest = JSON.parse(
      readFileSync(path.join(home, '.config/chromium/NativeMessagingHosts/com.acme.app.json'), 'utf8'),
    )
    expect(manifest).toEqual({
      name: 'com.acme.app',
      description: 'com.acme.app (nmrpc host)',
      path: path.join(home, '.local/share/nmrpc/com.acme.app/launcher.sh'),
      type: 'stdio',
      allowed_origins: [`chrome-extension://${CHROME_ID}/`],
    })
    expect(statSync(manifest.path).mode & 0o777).toBe(0o755)
    const again = await install({ name: 'com.acme.app', host, extensionIds: [CHROME_ID], env })
    expect(again.actions.map((a) => a.status)).toEqual(['unchanged', 'unchanged'])
  })

  it('writes nothing in a dry run', async () => {
    const home = tempHome()
    const r = await install({
      name: 'com.acme.app',
      host: '/h.js',
      extensionIds: [GECKO_ID],
      env: linuxEnv(home, ['firefox']),
      dryRun: true,
      force: true,
    })
    expect(r.actions.map((a) => a.status)).toEqual(['planned', 'planned'])
    expect(listTree(home)).toEqual([])
  })

  it('puts the manifest in DIR/NativeMessagingHosts for --user-data-dir', async () => {
    const home = tempHome()
    const profile = path.join(home, 'profile')
    const r = await install({
      name: 'com.acme.app',
      host: '/h.js',
      extensionIds: [CHROME_ID],
      userDataDir: profile,
      env: linuxEnv(home),
      force: true,
    })
    expect(r.browsers).toEqual(['user-data-dir'])
    expect(existsSync(path.join(profile, 'NativeMessagingHosts', 'com.acme.app.json'))).toBe(true)
    // Recorded, so that doctor without --user-data-dir (or without --name) finds this profile install.
    const receipt = JSON.parse(readFileSync(path.join(r.hostDir, 'receipt.json'), 'utf8'))
    expect([receipt.browsers, receipt.userDataDirs]).toEqual([['user-data-dir'], [profile]])
  })

  it('uninstall removes exactly what install wrote, folders it created included, and keeps what others changed', async () => {
    const home = tempHome()
    writeFileSync(path.join(home, 'mine.txt'), 'not nmrpc')
    const env = linuxEnv(home, ['chromium', 'firefox'])
    await install({
      name: 'com.acme.app',
      host: '/h.js',
      extensionIds: [CHROME_ID, GECKO_ID],
      env,
      force: true,
    })
    const ff = path.join(home, '.mozilla/native-messaging-hosts/com.acme.app.json')
    writeFileSync(ff, '{"edited": true}')
    const r = await uninstall({ name: 'com.acme.app', env })
    expect(
      r.entries
        .filter((e) => e.kind === 'file')
        .map((e) => [path.relative(home, e.kind === 'file' ? e.path : ''), e.status]),
    ).toEqual([
      ['.local/share/nmrpc/com.acme.app/launcher.sh', 'removed'],
      ['.config/chromium/NativeMessagingHosts/com.acme.app.json', 'removed'],
      ['.mozilla/native-messaging-hosts/com.acme.app.json', 'kept'],
    ])
    expect(listTree(home)).toEqual([
      '.mozilla',
      '.mozilla/native-messaging-hosts',
      '.mozilla/native-messaging-hosts/com.acme.app.json',
      'mine.txt',
    ])
    await expect(uninstall({ name: 'com.acme.app', env })).rejects.toThrow(
      /Nothing to uninstall: no receipt at/,
    )
  })

  it('refuses a host file that does not exist and a node that cannot run, unless forced', async () => {
    const home = tempHome()
    const env = linuxEnv(home, ['chromium'])
    const host = path.join(home, 'dist', 'host.js')
    const base = { name: 'com.acme.app', host, extensionIds: [CHROME_ID], env }
    await expect(install(base)).rejects.toThrow(
      `Host ${host} does not exist, so every browser would fail to start it. Build the host first or fix --host; pass --force to install anyway (say, before the first build).`,
    )
    await expect(install(base)).rejects.toBeInstanceOf(InstallRefused)
    expect(listTree(home)).toEqual([])
    execFileSync('mkdir', ['-p', path.dirname(host)])
    writeFileSync(host, '')
    const notNode = path.join(home, 'node.txt')
    writeFileSync(notNode, '', { mode: 0o644 })
    await expect(install({ ...base, node: notNode })).rejects.toThrow(
      `Node ${notNode} is not an executable file, so the launcher could not start the host.`,
    )
    await expect(install({ ...base, node: path.join(home, 'dist') })).rejects.toThrow(
      /is not an executable file/,
    )
    const forced = await install({ ...base, node: notNode, force: true })
    expect(forced.actions.map((a) => a.status)).toEqual(['written', 'written'])
  })

  it('--node node means the node on PATH, never a file named node in the current folder', async () => {
    const home = tempHome()
    const bin = path.join(home, 'bin')
    execFileSync('mkdir', ['-p', bin])
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\n', { mode: 0o755 })
    const host = path.join(home, 'host.js')
    writeFileSync(host, '')
    const env = linuxEnv(home, ['chromium'])
    const r = await install({ name: 'com.acme.app', host, extensionIds: [CHROME_ID], env, node: 'node' })
    const launcher = r.actions.find((a) => a.kind === 'file' && a.role === 'launcher')
    expect(launcher?.kind === 'file' && launcher.content).toContain(
      `exec '${path.join(bin, 'node')}' '${host}'`,
    )
    await expect(
      install({
        name: 'com.acme.app',
        host,
        extensionIds: [CHROME_ID],
        env: { ...env, env: { PATH: home } },
        node: 'node',
      }),
    ).rejects.toThrow(`--node "node" is not on PATH (${home}).`)
  })

  it('uninstall of the last host removes the nmrpc data folder, whichever install created it', async () => {
    const home = tempHome()
    const env = linuxEnv(home, ['chromium'])
    const host = path.join(home, 'host.js')
    writeFileSync(host, '')
    for (const name of ['com.acme.one', 'com.acme.two'])
      await install({ name, host, extensionIds: [CHROME_ID], env })
    await uninstall({ name: 'com.acme.one', env })
    expect(existsSync(path.join(home, '.local/share/nmrpc/com.acme.two'))).toBe(true)
    const r = await uninstall({ name: 'com.acme.two', env })
    expect(existsSync(path.join(home, '.local/share/nmrpc'))).toBe(false)
    expect(
      r.entries.filter((e) => e.kind === 'dir').map((e) => [path.relative(home, e.path), e.status]),
    ).toContainEqual(['.local/share/nmrpc', 'removed'])
  })

  it('runs the host through the sh launcher in its own folder with the browser arguments, quotes and spaces in paths too', () => {
    const home = tempHome()
    const dir = path.join(home, "it's a dir")
    execFileSync('mkdir', ['-p', dir])
    const host = path.join(dir, 'host.js')
    writeFileSync(host, 'process.stdout.write(JSON.stringify([process.argv.slice(2), process.cwd()]))')
    const launcher = path.join(dir, 'launcher.sh')
    writeFileSync(launcher, launcherScript('linux', 'a.b', process.execPath, host), { mode: 0o755 })
    // Started from elsewhere with an empty PATH, as a browser might: the launcher finds node and the host's folder.
    const out = execFileSync(launcher, ['chrome-extension://x/', '--parent-window=0'], {
      cwd: home,
      env: { PATH: '' },
    })
    expect(JSON.parse(String(out))).toEqual([['chrome-extension://x/', '--parent-window=0'], dir])
  })
})
