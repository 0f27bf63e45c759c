// `nmrpc build` end to end on this machine: the ping-pong example host is built as a bundle and as a
// single executable (once for the file: a SEA is ~100 MB and takes tens of seconds), each registers
// itself with --install in a throwaway HOME, is started through the manifest it wrote by spawnHost with a
// PATH that holds no node at all, passes --doctor, and --uninstall leaves no manifest behind.
import { execFile, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Host } from '../../examples/ping-pong/host/host.js'
import { createClient } from '../../src/client/index.js'
import { spawnHost } from '../../src/node/index.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = path.join(ROOT, 'src/cli/main.ts')
const ENTRY = path.join(ROOT, 'examples/ping-pong/host/host.ts')
const NAME = 'com.nmrpc.buildtest'
const CHROMIUM_ID = 'mcmpfjeaigbkgpbpiklnaikfdgcjniph'
const GECKO_ID = 'ping-pong@examples.nmrpc'

const tmp = mkdtempSync(path.join(tmpdir(), 'nmrpc-build-test-'))
const out = path.join(tmp, 'dist')
// A folder with no node in it: the built host must not need one on PATH (browsers give hosts their own).
const noNode = path.join(tmp, 'empty-bin')
mkdirSync(noNode)
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Run {
  code: number
  out: string
  err: string
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout, env, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 99) : 0,
        out: stdout,
        err: stderr,
      }),
    )
  })
}

const nmrpc = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', MAIN, ...args], { ...process.env, NODE_OPTIONS: '' }, 300_000)

function homeEnv(label: string): NodeJS.ProcessEnv {
  const home = path.join(tmp, `home-${label}`)
  mkdirSync(home, { recursive: true })
  // Only what a built file needs; XDG unset so the defaults under this HOME apply.
  return { HOME: home, PATH: noNode, NMRPC_DEBUG: '1' }
}

let built: { bundle: { path: string; bytes: number }; sea?: { path: string; bytes: number } }

beforeAll(async () => {
  const r = await nmrpc(
    'build',
    ENTRY,
    '--name',
    NAME,
    '--extension-id',
    CHROMIUM_ID,
    '--extension-id',
    GECKO_ID,
    '--out',
    out,
    '--sea',
    '--json',
  )
  expect(r.err).toBe('')
  expect(r.code).toBe(0)
  built = JSON.parse(r.out)
}, 600_000)

describe('nmrpc build outputs', () => {
  it('writes <out>/<name>.mjs and the single executable <out>/<name>, both executable', () => {
    expect(built.bundle.path).toBe(path.join(out, `${NAME}.mjs`))
    expect(built.sea?.path).toBe(path.join(out, NAME))
    for (const f of [built.bundle.path, built.sea!.path]) {
      expect(statSync(f).mode & 0o111).not.toBe(0)
      expect(statSync(f).size).toBe(f === built.bundle.path ? built.bundle.bytes : built.sea!.bytes)
    }
    // The bundle holds the host and nmrpc: nothing is left to resolve from node_modules at run time.
    expect(readFileSync(built.bundle.path, 'utf8')).not.toMatch(/from ["']nmrpc\//)
  })

  it('keeps the host in a comment a start only skips, and the terminal-mode code as text inside it', () => {
    // src/build/buildHost.ts (cachedBundle): the host's script is a comment, the body of the function that
    // ends the file, which the start (bundleStart.ts) takes back by toString; inside it, --install/--doctor/
    // --help live in one string literal (selfCommandAsText), compiled only when a command runs. Their help
    // text as code would hold real line breaks.
    const text = readFileSync(built.bundle.path, 'utf8')
    const at = text.lastIndexOf('\nfunction __nmrpcScript(){/*(function (exports, require, module, __filename, __dirname, __nmrpcMetaUrl) {\n')
    expect(at).toBeGreaterThan(0)
    expect(text.endsWith('\n})*/}\n')).toBe(true)
    const [start, script] = [text.slice(0, at), text.slice(at)]
    // The comment is one: no */ of the host's code was left in it to end it early.
    expect(script.indexOf('*/')).toBe(script.length - 4)
    expect(script).toContain('Options of --install:\\n')
    expect(script).not.toContain('Options of --install:\n')
    expect(script).toContain('new Function(')
    // What runs before the host: the start, which imports no Node built-in as an ES module.
    expect(start).toContain('createCachedData()')
    expect(start).not.toMatch(/\bimport\s*[{\w*][^;]*from\s*["']node:/)
    expect(start.length).toBeLessThan(8 * 1024)
  })

  it('bakes the name, ids and nmrpc version in: --version and --help say them', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    for (const [file, args] of [
      [process.execPath, [built.bundle.path]],
      [built.sea!.path, []],
    ] as const) {
      const v = await run(file, [...args, '--version'], homeEnv('version'))
      expect(v.code).toBe(0)
      expect(v.out).toContain(`${NAME} (nmrpc ${pkg.version}, `)
      const h = await run(file, [...args, '--help'], homeEnv('help'))
      expect(h.code).toBe(0)
      expect(h.out).toContain(`Allowed extensions: ${CHROMIUM_ID}, ${GECKO_ID}`)
      expect(h.out).toContain('--install')
    }
  })

  it('prints the help when started with no arguments on a terminal, instead of waiting on stdin', async () => {
    // script(1) gives the executable a real terminal as stdin; a hang would hit the timeout (status 99).
    const r = await run('/usr/bin/script', ['-qec', built.sea!.path, '/dev/null'], homeEnv('tty'), 60_000)
    expect(r.code).toBe(0)
    expect(r.out).toContain(`Usage: ${NAME} <command> [options]`)
  })

  it('refuses an unknown command with status 2 and names the ones it has', async () => {
    const r = await run(built.sea!.path, ['--instal'], homeEnv('bad'))
    expect(r.code).toBe(2)
    expect(r.err).toMatchInlineSnapshot(`
      "com.nmrpc.buildtest: Unknown command "--instal". This is the native host com.nmrpc.buildtest; it answers --install, --uninstall, --doctor, --version and --help.
      "
    `)
    const o = await run(built.sea!.path, ['--install', '--browsr', 'x'], homeEnv('bad'))
    expect(o.code).toBe(2)
    expect(o.err).toContain("Unknown option '--browsr'")
  })
})

/** Frames for the host's stdin, as a browser and createClient send them: the hello, then a call. */
function framed(...messages: unknown[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const body = Buffer.from(JSON.stringify(m))
      const head = Buffer.alloc(4)
      head.writeUInt32LE(body.length)
      return Buffer.concat([head, body])
    }),
  )
}

describe("the bundle's V8 code cache (src/build/codeCache.ts)", () => {
  const env = homeEnv('cache')
  const dir = path.join(env.HOME!, '.cache/nmrpc/code-cache')
  const start = (extra: NodeJS.ProcessEnv = {}, sea = false) => {
    const [file, args] = sea ? [built.sea!.path, []] : [process.execPath, [built.bundle.path]]
    const r = spawnSync(file, [...args, `chrome-extension://${CHROMIUM_ID}/`], {
      env: { ...env, ...extra },
      input: framed({ t: 'hello', v: 1, impl: 'nmrpc/test', f: [] }, { t: 'call', id: 1, p: 'ping', a: [] }),
      timeout: 60_000,
    })
    expect(r.status).toBe(0)
    expect(r.stdout.toString()).toContain('"t":"ok","id":1,"r":"pong"')
    return r.stderr.toString()
  }
  const caches = () => (existsSync(dir) ? readdirSync(dir) : [])

  it('is made by the first start, in the user cache folder, and taken by the next', () => {
    expect(caches()).toEqual([])
    expect(start()).toContain(`code cache absent: ${dir}`)
    expect(caches()).toEqual([expect.stringMatching(new RegExp(`^${NAME}-bundle-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8cache$`))])
    expect(start()).toContain('code cache accepted')
  })

  it('a cache V8 rejects costs nothing but a compile: the host answers and writes a good one', () => {
    const file = path.join(dir, caches()[0]!)
    writeFileSync(file, 'not a V8 code cache')
    expect(start()).toContain('code cache rejected')
    expect(start()).toContain('code cache accepted')
    // Leftovers of an earlier build of the same host go when a cache is written.
    const stale = path.join(dir, `${NAME}-bundle-0000000000000000-v0.0.0-x64.v8cache`)
    writeFileSync(stale, 'old')
    writeFileSync(file, 'not a V8 code cache')
    start()
    expect(existsSync(stale)).toBe(false)
  })

  it('NMRPC_CODE_CACHE=0 turns it off: nothing is read or written', () => {
    rmSync(dir, { recursive: true, force: true })
    expect(start({ NMRPC_CODE_CACHE: '0' })).toContain('code cache absent: off')
    expect(existsSync(dir)).toBe(false)
  })

  it("the single executable starts with the cache built into it, then keeps its own beside the bundle's", () => {
    start()
    expect(start({}, true)).toContain(`code cache accepted (built in): ${dir}`)
    const later = start({}, true)
    expect(later).toContain(`code cache accepted: ${dir}`)
    expect(later).not.toContain('built in')
    expect(caches().filter((f) => f.startsWith(`${NAME}-sea-`))).toHaveLength(1)
    expect(caches().filter((f) => f.startsWith(`${NAME}-bundle-`))).toHaveLength(1)
  })

  it('NMRPC_CODE_CACHE=0: the single executable still takes its built-in cache, and writes nothing', () => {
    rmSync(dir, { recursive: true, force: true })
    expect(start({ NMRPC_CODE_CACHE: '0' }, true)).toContain('code cache accepted (built in): off')
    expect(existsSync(dir)).toBe(false)
    start({}, true) // the executable's own again, for the next test
  })

  it('--uninstall removes it', async () => {
    start()
    expect(caches()).toHaveLength(2)
    const installed = await run(process.execPath, [built.bundle.path, '--install', '--browser', 'chromium'], env)
    expect(installed.code).toBe(0)
    // A terminal command neither takes nor makes the cache (it would hold none of the host's functions).
    expect(caches()).toHaveLength(2)
    const r = await run(process.execPath, [built.bundle.path, '--uninstall'], env)
    expect(r.code).toBe(0)
    expect(caches()).toEqual([])
  })
})

for (const kind of ['bundle', 'sea'] as const) {
  describe(`the ${kind} registers itself`, () => {
    const env = homeEnv(kind)
    const home = env.HOME!
    const self = (): [string, string[]] =>
      kind === 'sea' ? [built.sea!.path, []] : [process.execPath, [built.bundle.path]]
    const manifests = [
      path.join(home, '.config/chromium/NativeMessagingHosts', `${NAME}.json`),
      path.join(home, '.mozilla/native-messaging-hosts', `${NAME}.json`),
    ]

    it('--install writes a manifest per browser and prints each place', async () => {
      const [file, args] = self()
      const r = await run(file, [...args, '--install', '--browser', 'chromium,firefox'], env)
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      for (const m of manifests) {
        expect(r.out).toContain(m)
        const manifest = JSON.parse(readFileSync(m, 'utf8')) as { path: string; name: string }
        expect(manifest.name).toBe(NAME)
        // A SEA is started directly; a bundle through a launcher that names node by absolute path.
        if (kind === 'sea') expect(manifest.path).toBe(built.sea!.path)
        else expect(readFileSync(manifest.path, 'utf8')).toContain(`'${process.execPath}' '${built.bundle.path}'`)
      }
    })

    it('answers a typed call and a stream through its manifest, with no node on PATH', async () => {
      for (const [browser, m] of [
        ['chromium', manifests[0]!],
        ['firefox', manifests[1]!],
      ] as const) {
        const { path: command } = JSON.parse(readFileSync(m, 'utf8')) as { path: string }
        const client = createClient<Host>(
          spawnHost(command, [], {
            browser,
            origin: `chrome-extension://${CHROMIUM_ID}/`,
            manifestPath: m,
            extensionId: GECKO_ID,
            env,
            stderr: 'pipe',
          }),
        )
        try {
          expect(await client.call.ping()).toBe('pong')
          const greeting = await client.call.greet('build')
          expect(greeting.text).toBe(`Hello, build, from Node ${process.version}`)
          expect(greeting.at).toBeInstanceOf(Date)
          const seen: number[] = []
          for await (const n of client.call.countdown(2)) seen.push(n)
          expect(seen).toEqual([2, 1, 0])
          await expect(client.call.divide(1, 0)).rejects.toThrow('Cannot divide 1 by zero')
        } finally {
          client.close()
        }
      }
    })

    it('refuses a caller whose origin or add-on id was not baked in, even through its own manifest', async () => {
      const foreign = 'abcdefghijklmnopabcdefghijklmnop'
      for (const [browser, m, who] of [
        ['chromium', manifests[0]!, `chrome-extension://${foreign}/`],
        ['firefox', manifests[1]!, 'someone-else@example.org'],
      ] as const) {
        const { path: command } = JSON.parse(readFileSync(m, 'utf8')) as { path: string }
        const client = createClient<Host>(
          spawnHost(command, [], {
            browser,
            origin: browser === 'chromium' ? who : undefined,
            manifestPath: m,
            extensionId: browser === 'firefox' ? who : foreign,
            env,
            stderr: 'pipe',
          }),
        )
        try {
          const refused = client.call.ping()
          await expect(refused).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
          await expect(refused).rejects.toThrow(`does not accept calls from ${who}`)
          await expect(refused).rejects.toThrow('not among the extension ids built into this host')
        } finally {
          client.close()
        }
      }
    })

    it('--doctor finds both registrations healthy (status 0)', async () => {
      const [file, args] = self()
      const r = await run(file, [...args, '--doctor', '--browser', 'chromium,firefox'], env)
      expect(r.out).toContain('All good.')
      expect(r.code).toBe(0)
    })

    it('--uninstall removes exactly what --install wrote', async () => {
      const [file, args] = self()
      const r = await run(file, [...args, '--uninstall'], env)
      expect(r.code).toBe(0)
      for (const m of manifests) {
        expect(r.out).toContain(m)
        expect(existsSync(m)).toBe(false)
      }
      // The receipt and its folder went too; the built files themselves stay.
      expect(existsSync(path.join(home, '.local/share/nmrpc', NAME))).toBe(false)
      expect(existsSync(kind === 'sea' ? built.sea!.path : built.bundle.path)).toBe(true)
      const again = await run(file, [...args, '--doctor', '--browser', 'chromium'], env)
      expect(again.code).toBe(1)
    })
  })
}

describe('nmrpc build refuses bad input with a usage error (status 2)', () => {
  it.each([
    [['--name', NAME, '--extension-id', GECKO_ID], 'takes one host entry file'],
    [[ENTRY, '--name', 'Com.Acme', '--extension-id', GECKO_ID], 'Host name "Com.Acme" is not allowed'],
    [[ENTRY, '--name', NAME], 'No extension id given'],
    [[path.join(tmp, 'nope.ts'), '--name', NAME, '--extension-id', GECKO_ID], 'is not a file'],
    [[ENTRY, '--name', NAME, '--extension-id', GECKO_ID, '--node-binary', '/bin/sh'], 'only matters with --sea'],
    [[ENTRY, '--name', NAME, '--extension-id', GECKO_ID, '--sea', '--node-binary', ROOT + 'package.json'], 'is not an executable'],
  ])('%j', async (args, message) => {
    const r = await nmrpc('build', ...args, '--out', path.join(tmp, 'refused'))
    expect(r.err).toContain(message)
    expect(r.code).toBe(2)
  })
})
