// `nmrpc doctor` against what real browsers do (issue 12). One browser launch per browser, started with a
// desktop session's PATH (so a host that needs the shell's PATH breaks as it does for users), and several
// hosts broken the way users break them. For each one the browser's own error is observed through the
// extension, and the built `nmrpc doctor --json` must name the cause (finding id), give the fix, and predict
// the browser's words exactly (`browserSays`).
import { spawn } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleHost } from './harness/bundleHost'
import { browsers, type E2eSession, type LaunchSetup, openBrowser } from './harness/openBrowser'
import { processesOf } from './harness/processes'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(repoRoot, 'dist', 'cli', 'main.js')
const rpcHost = fileURLToPath(new URL('./fixtures/rpcHost.ts', import.meta.url))
/** What a browser started from a desktop menu passes to its hosts on Linux (no nvm, volta, asdf, Homebrew). */
const desktopPath = '/usr/local/bin:/usr/bin:/bin'
/** An interpreter that, like nvm's node, only the user's shell finds. */
const shellOnlyNode = 'nmrpc-e2e-node'

interface CliResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built `nmrpc` with `env`; resolves whatever the status. Killed after 90 s. */
function nmrpc(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

interface Finding {
  level: string
  code: string
  message: string
  fix?: string
  browserSays?: string | null
}
interface Report {
  ok: boolean
  browsers: { browser: string; findings: Finding[] }[]
}

/** One broken setup: what to write, and what doctor must call it. */
interface Case {
  readonly name: string
  readonly title: string
  /** The finding doctor must lead with (its first error; for a working host, the warning). */
  readonly code: string
  /** Words the fix must contain. */
  readonly fix: string
}

const cases: Record<'chromium' | 'firefox', readonly Case[]> = {
  chromium: [],
  firefox: [],
}
for (const b of browsers) {
  cases[b] = [
    {
      name: 'com.nmrpc.e2e.envnode',
      title: 'a #!/usr/bin/env script whose interpreter only the shell PATH has',
      code: 'interpreter-not-found',
      fix: 'nmrpc install --name com.nmrpc.e2e.envnode',
    },
    {
      name: 'com.nmrpc.e2e.elsewhere',
      title: "the manifest in another browser's folder",
      code: 'manifest-elsewhere',
      fix: 'nmrpc install --name com.nmrpc.e2e.elsewhere',
    },
    {
      name: 'com.nmrpc.e2e.misnamed',
      title: 'a manifest whose "name" is another host',
      code: 'name-mismatch',
      fix: 'Set "name": "com.nmrpc.e2e.misnamed".',
    },
    b === 'chromium'
      ? {
          name: 'com.nmrpc.e2e.notallowed',
          title: 'an allowed_origins entry without its trailing slash',
          code: 'origin-no-slash',
          fix: '/".',
        }
      : {
          name: 'com.nmrpc.e2e.notallowed',
          title: 'allowed_extensions without this add-on',
          code: 'extension-missing',
          fix: 'Add "e2e@nmrpc.test" to allowed_extensions',
        },
    {
      name: 'com.nmrpc.e2e.crash',
      title: 'a host that exits before answering',
      code: 'host-crashed',
      fix: 'Run it by hand to see:',
    },
  ]
}

/** Writes every broken setup of `cases` for one browser, before it starts. */
async function writeSetups(s: LaunchSetup, browser: 'chromium' | 'firefox'): Promise<void> {
  const hosts = s.run.dir('hosts')
  const hostFile = join(hosts, 'rpcHost.mjs')
  await bundleHost(rpcHost, hostFile)
  symlinkSync(process.execPath, join(s.run.dir('nvm/bin'), shellOnlyNode))
  const allowed =
    browser === 'chromium'
      ? { allowed_origins: [`chrome-extension://${s.extensionId}/`] }
      : { allowed_extensions: [s.extensionId] }
  const manifest = (dir: string, name: string, path: string, more: Record<string, unknown> = {}) => {
    mkdirSync(dir, { recursive: true })
    const body = { name, description: 'nmrpc e2e doctor case', path, type: 'stdio', ...allowed, ...more }
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(body, null, 2))
  }
  const script = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o755 })
    return file
  }
  const here = s.hostManifestDir
  const envNode = script(
    join(hosts, 'envnode.mjs'),
    `#!/usr/bin/env ${shellOnlyNode}\nimport '${hostFile}'\n`,
  )
  manifest(here, 'com.nmrpc.e2e.envnode', envNode)
  const good = script(join(hosts, 'good.sh'), `#!/bin/sh\nexec '${process.execPath}' '${hostFile}' "$@"\n`)
  // Google Chrome's folder for Chromium; LibreWolf's for Firefox: each read by a browser, not this one.
  const other =
    browser === 'chromium'
      ? join(s.run.env.XDG_CONFIG_HOME ?? '', 'google-chrome', 'NativeMessagingHosts')
      : join(s.run.home, '.librewolf', 'native-messaging-hosts')
  manifest(other, 'com.nmrpc.e2e.elsewhere', good)
  manifest(here, 'com.nmrpc.e2e.misnamed', good, { name: 'com.nmrpc.e2e.other' })
  manifest(
    here,
    'com.nmrpc.e2e.notallowed',
    good,
    browser === 'chromium'
      ? { allowed_origins: [`chrome-extension://${s.extensionId}`] }
      : { allowed_extensions: ['someone-else@nmrpc.test'] },
  )
  const crash = script(
    join(hosts, 'crash.sh'),
    '#!/bin/sh\necho "boom: /etc/acme.json not found" >&2\nexit 3\n',
  )
  manifest(here, 'com.nmrpc.e2e.crash', crash)
  // Slow but fine: browsers wait 5 s for the first frame; doctor must too.
  const slow = script(
    join(hosts, 'slow.sh'),
    `#!/bin/sh\nsleep 5\nexec '${process.execPath}' '${hostFile}' "$@"\n`,
  )
  manifest(here, 'com.nmrpc.e2e.slow', slow)
  // The browser gets the desktop's PATH; the harness gives it nothing else that needs one.
  s.run.env.PATH = desktopPath
}

describe.each(browsers)('doctor against what %s does', (browser) => {
  let session: E2eSession
  let setup: LaunchSetup
  /** The user's shell: the run's environment with nvm's folder on PATH. */
  let shell: Record<string, string>

  beforeAll(async () => {
    session = await openBrowser(browser, {
      hosts: [],
      beforeLaunch: async (s) => {
        setup = s
        await writeSetups(s, browser)
      },
    })
    shell = { ...setup.run.env, PATH: `${join(setup.run.root, 'nvm/bin')}:${process.env.PATH ?? ''}` }
  })
  afterAll(async () => {
    const root = session?.run.root
    await session?.close()
    if (root) expect(processesOf(root)).toEqual([])
  })

  /** doctor the way a user checks what this browser reads. */
  async function doctor(name: string, more: string[] = []): Promise<{ r: CliResult; report: Report }> {
    const where =
      browser === 'chromium' ? ['--user-data-dir', setup.userDataDir ?? ''] : ['--browser', 'firefox']
    const r = await nmrpc(
      ['doctor', '--name', name, '--extension-id', setup.extensionId, ...where, '--json', ...more],
      shell,
    )
    return { r, report: JSON.parse(r.stdout) as Report }
  }

  it('the browser really runs with a PATH that lacks the shell-only interpreter', () => {
    expect(setup.run.env.PATH).toBe(desktopPath)
  })

  it.each(cases[browser])(
    '$title: the browser fails; doctor says $code, with the fix and the browser words',
    async (c) => {
      // The browser's words: Chromium's lastError, Firefox's port.error; the scenario says "disconnected
      // without a reason" when there is neither.
      const said = await session.browser.run<string>('rawMissing', c.name)
      const { r, report } = await doctor(c.name)
      expect(r.status).toBe(1)
      const errors = report.browsers[0]!.findings.filter((f) => f.level === 'error')
      // One headline per cause.
      expect(errors.map((f) => f.code)).toEqual([c.code])
      expect(errors[0]!.fix).toContain(c.fix)
      const predicted = errors[0]!.browserSays
      expect(predicted === null ? 'disconnected without a reason' : predicted).toBe(said)
    },
  )

  it('a host that takes 5 s to start works in the browser; doctor waits, shows it, and warns', async () => {
    expect(await session.browser.run('rpcHello', 'com.nmrpc.e2e.slow')).toMatchObject({
      protocol: 1,
      pong: 'pong',
    })
    const { r, report } = await doctor('com.nmrpc.e2e.slow')
    expect(r.status).toBe(0)
    expect(report.ok).toBe(true)
    const slow = report.browsers[0]!.findings.find((f) => f.code === 'slow-start')
    expect(slow?.level).toBe('warn')
    expect(slow?.message).toMatch(/^Host took \d+\.\d s to answer the hello\./)
    expect(r.stderr).toMatch(/nmrpc doctor: Waiting for .*slow\.sh to answer \(\d+ s so far/)
  })

  it('the shell-only interpreter finding names the interpreter, the PATH searched, and the launcher fix', async () => {
    const { report } = await doctor('com.nmrpc.e2e.envnode')
    const f = report.browsers[0]!.findings.find((x) => x.code === 'interpreter-not-found')
    expect(f?.message).toContain(
      `env looks for "${shellOnlyNode}" on the PATH browsers give their hosts (${desktopPath})`,
    )
    expect(f?.message).toContain(`your shell finds it at ${join(setup.run.root, 'nvm/bin', shellOnlyNode)}`)
    expect(f?.fix).toContain('(its launcher runs node by absolute path)')
  })

  it('the manifest elsewhere is named with the browsers that read it', async () => {
    const { report } = await doctor('com.nmrpc.e2e.elsewhere')
    const f = report.browsers[0]!.findings.find((x) => x.code === 'manifest-elsewhere')
    expect(f?.message).toContain(browser === 'chromium' ? '(read by Google Chrome)' : '(read by LibreWolf)')
    if (browser === 'chromium') {
      // Without --browser or --user-data-dir: Chrome finds it, Chromium (installed here) does not: a failure.
      const all = await nmrpc(['doctor', '--name', 'com.nmrpc.e2e.elsewhere', '--json', '--no-start'], shell)
      const every = JSON.parse(all.stdout) as Report
      expect(all.status).toBe(1)
      const byId = Object.fromEntries(every.browsers.map((b) => [b.browser, b.findings.map((x) => x.code)]))
      expect(byId.chrome).toContain('manifest-ok')
      expect(byId.chromium).toEqual(['manifest-elsewhere'])
    }
  })
})
