import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// The CLI runs as a real child process from source (tsx), with a throwaway HOME: nothing touches the real one.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = path.join(ROOT, 'src/cli/main.ts')
const HOST = path.join(ROOT, 'test/cli/fixtures/host.ts')
const ID = 'abcdefghijklmnopabcdefghijklmnop'
const home = mkdtempSync(path.join(tmpdir(), 'nmrpc-cli-home-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

interface Run {
  code: number
  out: string
  err: string
}
function nmrpc(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: ROOT, timeout: 30_000, env: { PATH: process.env.PATH, HOME: home, NODE_OPTIONS: '' } },
      (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out, err: errOut }),
    )
  })
}
// Every command starts node + tsx, seconds each on a loaded machine; a test runs up to a dozen of them.
const CLI_TEST_MS = 240_000
const stable = (s: string) => s.replaceAll(home, '~').replace(/\d+ ms/g, 'N ms')

describe('nmrpc CLI round trip on this machine (temp HOME)', () => {
  it(
    'install -> doctor -> call -> uninstall against a real nmrpc host',
    async () => {
      const install = await nmrpc(
        'install',
        '--name',
        'com.acme.fix',
        '--host',
        HOST,
        '--node-arg=--import',
        '--node-arg=tsx',
        '--extension-id',
        ID,
        '--browser',
        'chromium',
      )
      expect(install.err).toBe('')
      expect(stable(install.out)).toMatchInlineSnapshot(`
      "Installed com.acme.fix for chromium (user scope):
        written   launcher ~/.local/share/nmrpc/com.acme.fix/launcher.sh
        written   manifest ~/.config/chromium/NativeMessagingHosts/com.acme.fix.json  (chromium)
      Check it with: nmrpc doctor --name com.acme.fix
      "
    `)

      const doctor = await nmrpc(
        'doctor',
        '--name',
        'com.acme.fix',
        '--browser',
        'chromium',
        '--extension-id',
        ID,
      )
      // The slow-start warning depends on this machine's load (tsx compiles the host on start); leave it out.
      const doctorOut = stable(doctor.out)
        .split('\n')
        .filter((l) => !l.includes('! Host took'))
        .join('\n')
      expect(doctorOut).toMatchInlineSnapshot(`
      "nmrpc doctor: com.acme.fix on linux

      Chromium (chromium): ~/.config/chromium/NativeMessagingHosts/com.acme.fix.json
        ✓ Manifest ~/.config/chromium/NativeMessagingHosts/com.acme.fix.json is valid.
        ✓ Host answered the hello in N ms (nmrpc/0.1.0, protocol 1).

      All good.
      "
    `)
      expect(doctor.code).toBe(0)
      // Without --name, doctor checks every host nmrpc registered (found through the receipts).
      const all = await nmrpc('doctor', '--browser', 'chromium', '--no-start')
      expect([all.code, all.out.split('\n')[0]]).toEqual([0, 'nmrpc doctor: com.acme.fix on linux'])

      expect(await nmrpc('call', 'com.acme.fix', 'add', '1', '2')).toEqual({ code: 0, out: '3\n', err: '' })
      expect(await nmrpc('call', 'com.acme.fix', 'count', '3')).toEqual({
        code: 0,
        out: '0\n1\n2\n',
        err: '',
      })
      expect(await nmrpc('call', 'com.acme.fix', 'math.div', '1', '0')).toEqual({
        code: 1,
        out: '',
        err: 'nmrpc call math.div: RangeError: b is 0 [HANDLER_ERROR]\n',
      })
      const manifest = path.join(home, '.config/chromium/NativeMessagingHosts/com.acme.fix.json')
      expect(await nmrpc('call', manifest, 'ping')).toEqual({ code: 0, out: '"pong"\n', err: '' })
      // --json: strict JSON for scripts, the result or the error as { code, name, message, data }.
      expect(await nmrpc('call', 'com.acme.fix', 'add', '1', '2', '--json')).toEqual({
        code: 0,
        out: '3\n',
        err: '',
      })
      const failed = await nmrpc('call', 'com.acme.fix', 'math.div', '1', '0', '--json')
      expect([failed.code, JSON.parse(failed.out)]).toEqual([
        1,
        { code: 'HANDLER_ERROR', name: 'RangeError', message: 'b is 0' },
      ])
      // Installed for Chromium only: --browser firefox looks for Firefox's manifest and says there is none.
      const ff = await nmrpc('call', 'com.acme.fix', 'ping', '--browser', 'firefox')
      expect(ff.code).toBe(1)
      expect(stable(ff.err)).toContain(
        'No manifest for host "com.acme.fix" in any Firefox-family browser\'s folders (looked in 8 places). There is one for the other browser family: ~/.config/chromium/NativeMessagingHosts/com.acme.fix.json.',
      )

      const uninstall = await nmrpc('uninstall', '--name', 'com.acme.fix')
      expect(uninstall.code).toBe(0)
      expect(readdirSync(home)).toEqual([])
      const after = await nmrpc('doctor', '--name', 'com.acme.fix', '--browser', 'chromium', '--json')
      expect(after.code).toBe(1)
      expect(JSON.parse(after.out).browsers[0].findings[0].code).toBe('missing-manifest')
    },
    CLI_TEST_MS,
  )
})

describe('nmrpc CLI usage', () => {
  it('has --help with examples for every command', async () => {
    for (const cmd of ['install', 'uninstall', 'doctor', 'call']) {
      const r = await nmrpc(cmd, '--help')
      expect(r.code, cmd).toBe(0)
      expect(r.out, cmd).toContain('Examples:')
    }
    expect((await nmrpc('--help')).out).toContain('Commands:')
  })

  it(
    'answers user mistakes with one clear line and status 2, never a stack trace',
    async () => {
      const cases = [
        ['instal'],
        ['install', '--nam', 'x'],
        ['install', '--host', '/h.js', '--extension-id', ID],
        ['install', '--name', 'Com.Acme', '--host', '/h.js', '--extension-id', ID],
        ['install', '--name', 'com.acme', '--host', 'h.js', '--extension-id', ID, '--browser', 'chromium'],
        ['doctor', '--name', 'com.acme', '--timeout', 'soon'],
        ['call', 'com.nothing.here'],
      ]
      const lines: string[] = []
      for (const c of cases) {
        const r = await nmrpc(...c)
        expect(r.code, c.join(' ')).toBe(2)
        expect(r.err.trimEnd().split('\n'), c.join(' ')).toHaveLength(1)
        lines.push(stable(r.err.trimEnd()).replace(ROOT, '<root>/'))
      }
      expect(lines).toMatchInlineSnapshot(`
      [
        "nmrpc: Unknown command "instal". Commands: install, uninstall, doctor, call, build, relay. See: nmrpc --help",
        "nmrpc: Unknown option '--nam'. See: nmrpc install --help",
        "nmrpc: nmrpc install needs --name. See: nmrpc install --help",
        "nmrpc: Host name "Com.Acme" is not allowed: "C", "A" are not lowercase letters, digits, "_" or ".". Chrome accepts only lowercase letters, digits, "_" and "." (no leading, trailing or double dots) and otherwise fails with "Invalid native messaging host name specified". Try "com.acme".",
        "nmrpc: Host path "h.js" is relative; browsers start hosts from a folder of their own choosing, so it must be absolute. Use "<root>/h.js".",
        "nmrpc: --timeout "soon" is not a number of milliseconds, e.g. --timeout 60000.",
        "nmrpc: nmrpc call needs <host> and <method.path>. See: nmrpc call --help",
      ]
    `)
    },
    CLI_TEST_MS,
  )

  it(
    'answers failures (the command was right, the world was not) with one line and status 1',
    async () => {
      const cases = [
        ['call', 'com.nothing.here', 'ping'],
        ['uninstall', '--name', 'com.never.installed'],
        [
          'install',
          '--name',
          'com.acme',
          '--host',
          '/nowhere/host.js',
          '--extension-id',
          ID,
          '--browser',
          'chromium',
        ],
        [
          'install',
          '--name',
          'com.acme',
          '--host',
          HOST,
          '--extension-id',
          ID,
          '--browser',
          'chromium',
          '--node',
          path.join(ROOT, 'package.json'),
        ],
      ]
      const lines: string[] = []
      for (const c of cases) {
        const r = await nmrpc(...c)
        expect(r.code, c.join(' ')).toBe(1)
        expect(r.err.trimEnd().split('\n'), c.join(' ')).toHaveLength(1)
        lines.push(stable(r.err.trimEnd()).replace(ROOT, '<root>/'))
      }
      expect(lines).toMatchInlineSnapshot(`
      [
        "nmrpc call: No manifest for host "com.nothing.here" in any browser's folders (looked in 26 places). Register it with nmrpc install, or pass a manifest path or the host command instead.",
        "nmrpc uninstall: Nothing to uninstall: no receipt at ~/.local/share/nmrpc/com.never.installed/receipt.json. Was the host installed with another --scope or --dir?",
        "nmrpc install: Host /nowhere/host.js does not exist, so every browser would fail to start it. Build the host first or fix --host; pass --force to install anyway (say, before the first build).",
        "nmrpc install: Node <root>/package.json is not an executable file, so the launcher could not start the host. Point --node at a node binary (e.g. --node "$(command -v node)"); pass --force to install anyway.",
      ]
    `)
      expect(readdirSync(home)).toEqual([])
      const json = await nmrpc('call', 'com.nothing.here', 'ping', '--json')
      expect(json.code).toBe(1)
      expect(JSON.parse(json.out)).toMatchObject({ code: 'HOST_NOT_FOUND', name: 'Error' })
    },
    CLI_TEST_MS,
  )
})

describe('call --browser', () => {
  it(
    "firefox: uses Firefox's manifest and argv even when a Chromium manifest is found first",
    async () => {
      const install = await nmrpc(
        'install',
        '--name',
        'com.acme.both',
        '--host',
        HOST,
        '--node-arg=--import',
        '--node-arg=tsx',
        '--extension-id',
        ID,
        '--extension-id',
        'app@acme.com',
        '--browser',
        'chromium,firefox',
      )
      expect(install.code).toBe(0)
      try {
        const ff = await nmrpc('call', 'com.acme.both', 'argv', '--browser', 'firefox')
        expect([ff.code, ff.err]).toEqual([0, ''])
        expect(JSON.parse(ff.out)).toEqual([
          path.join(home, '.mozilla/native-messaging-hosts/com.acme.both.json'),
          'app@acme.com',
        ])
        const cr = await nmrpc('call', 'com.acme.both', 'argv')
        expect(JSON.parse(cr.out)).toEqual([`chrome-extension://${ID}/`])
      } finally {
        await nmrpc('uninstall', '--name', 'com.acme.both')
      }
    },
    CLI_TEST_MS,
  )
})

describe('install into a custom Chromium profile (--user-data-dir)', () => {
  it(
    'prints a doctor command that checks that profile, and that command passes',
    async () => {
      const profile = mkdtempSync(path.join(tmpdir(), 'nmrpc-cli-profile-'))
      try {
        const install = await nmrpc(
          'install',
          '--name',
          'com.acme.profile',
          '--host',
          HOST,
          '--extension-id',
          ID,
          '--user-data-dir',
          profile,
        )
        expect(install.code).toBe(0)
        const hint = install.out.split('\n').find((l) => l.startsWith('Check it with: '))
        expect(hint).toBe(
          `Check it with: nmrpc doctor --name com.acme.profile --user-data-dir ${JSON.stringify(profile)}`,
        )
        const doctor = await nmrpc(
          'doctor',
          '--name',
          'com.acme.profile',
          '--user-data-dir',
          profile,
          '--no-start',
        )
        expect(doctor.code).toBe(0)
        // The receipt recorded the profile: doctor with neither --name nor --user-data-dir checks it too.
        const all = await nmrpc('doctor', '--no-start', '--json')
        expect(all.code).toBe(0)
        expect(JSON.parse(all.out)[0].browsers.map((b: { title: string }) => b.title)).toContain(
          `Chromium profile ${profile}`,
        )
        await nmrpc('uninstall', '--name', 'com.acme.profile')
      } finally {
        rmSync(profile, { recursive: true, force: true })
      }
    },
    CLI_TEST_MS,
  )
})
