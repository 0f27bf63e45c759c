import { PROTOCOL_VERSION } from '../../shared/protocol.js'
import { findOnPath, isExecutableFile, readShebang } from './browserEnv.js'
import type { Family } from './browsers.js'
import { firefoxStrayWords } from './browserWords.js'
import type { Platform } from './platform.js'
import { pathFor } from './platform.js'
import type { ProbeOutcome } from './probeHost.js'

/** One thing doctor noticed, with what to do about it. */
export interface Finding {
  level: 'ok' | 'info' | 'warn' | 'error'
  /** Stable id for tools: `missing-manifest`, `bad-json`, `origin-no-slash`, `stray-stdout`, ... */
  code: string
  message: string
  fix?: string
  /**
   * The exact error text this browser gives the extension for this problem (`runtime.lastError.message` in
   * Chromium, `port.error.message` in Firefox); `null` when the Port closes with no text at all. Absent when
   * the browser itself reports nothing (the finding is nmrpc's, or nothing fails yet).
   */
  browserSays?: string | null
}

/** What doctor knows about the host it is about to start, for the words of its findings. */
export interface HostContext {
  name: string
  hostPath: string
  args: string[]
  family: Family
  /** The PATH the host was started with (the browser's). */
  browserPath: string | undefined
  /** The launcher's text, if small enough to read: it tells a TypeScript-at-start host from a slow one. */
  launcherText: string
  timeoutMs: number
  slowMs: number
}

/**
 * Checks the `#!` line of the file a manifest points at, the way the kernel will run it when a browser starts
 * it: an absolute interpreter must exist, and `/usr/bin/env X` must find X on the browser's PATH, which a
 * desktop session sets without nvm, volta, asdf or Homebrew. `shellPath` is only used to say where the
 * user's own shell would have found it.
 *
 * @example
 * await checkInterpreter('/home/a/host.js', 'linux', '/usr/local/bin:/usr/bin:/bin', process.env.PATH, 'com.acme.app')
 * // [{ level: 'error', code: 'interpreter-not-found', message: '... "node" ...', fix: '... nmrpc install ...' }]
 */
export async function checkInterpreter(
  hostPath: string,
  platform: Platform,
  browserPath: string | undefined,
  shellPath: string | undefined,
  name: string,
): Promise<Finding[]> {
  if (platform === 'win32') return []
  const sb = await readShebang(hostPath, platform)
  if (!sb) return []
  const reinstall = `nmrpc install --name ${name} --host ${hostPath} --extension-id <id> (its launcher runs node by absolute path)`
  const p = pathFor(platform)
  if (!p.isAbsolute(sb.interpreter) || !(await isExecutableFile(sb.interpreter))) {
    return [
      {
        level: 'error',
        code: 'interpreter-missing',
        message: `Host ${hostPath} starts with "#!${sb.line}", but ${sb.interpreter} ${p.isAbsolute(sb.interpreter) ? 'is not an executable file' : 'is not an absolute path'}, so it cannot start.`,
        fix: `Register it with ${reinstall}, or point the #! line at an existing interpreter, e.g. #!${process.execPath}.`,
      },
    ]
  }
  if (sb.program === undefined || sb.program.includes('/') || browserPath === undefined) return []
  if (await findOnPath(sb.program, browserPath, platform)) return []
  const shell = shellPath ? await findOnPath(sb.program, shellPath, platform) : undefined
  const oneWord = /\s/.test(sb.program)
    ? ` Linux hands "${sb.program}" to env as one word; #!/usr/bin/env -S ${sb.program} splits it.`
    : ''
  return [
    {
      level: 'error',
      code: 'interpreter-not-found',
      message:
        `Host ${hostPath} starts with "#!${sb.line}": env looks for "${sb.program}" on the PATH browsers give ` +
        `their hosts (${browserPath}), and it is not there` +
        (shell
          ? `; your shell finds it at ${shell}, on a PATH a browser started from the desktop does not get.`
          : '.') +
        oneWord,
      fix: `Register it with ${reinstall}, or make the #! line absolute: #!${shell ?? `/abs/path/of/${sb.program}`}.`,
    },
  ]
}

/**
 * Turns what happened when doctor started the host into findings. `shellOutcome` is the same host started
 * with the user's own PATH, tried when it failed with the browser's: if that works, the PATH is the cause.
 *
 * @example
 * probeFindings({ kind: 'timeout', ms: 30000, stderr: '' }, context) // [{ code: 'host-silent', ... }]
 */
export function probeFindings(o: ProbeOutcome, c: HostContext, shellOutcome?: ProbeOutcome): Finding[] {
  const rerun = `Run it by hand to see: ${[c.hostPath, ...c.args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`
  const withStderr = (s: string) => (s ? ` Its stderr ends with: ${s.replace(/\s*\n\s*/g, ' | ')}` : '')
  if ((o.kind === 'exited' || o.kind === 'spawn-error') && shellOutcome?.kind === 'hello') {
    const how =
      o.kind === 'exited' ? `exits (${o.signal ?? `code ${o.code}`})` : `cannot start (${o.message})`
    return [
      {
        level: 'error',
        code: 'needs-shell-path',
        message:
          `Host ${how} when started with the PATH browsers give their hosts (${c.browserPath}), but answers ` +
          `with your shell's PATH: something it starts by name (such as "exec node ..." in a launcher) is found ` +
          `only on your shell's PATH.${o.kind === 'exited' ? withStderr(o.stderr) : ''}`,
        fix: `Register it with nmrpc install --name ${c.name} --host /abs/path/host.js --extension-id <id> (its launcher runs node by absolute path), or name programs by absolute path in the launcher.`,
      },
    ]
  }
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
      if (o.ms > c.slowMs) out.push(slowStart(o.ms, c))
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
          message: `Host wrote bytes that are not a native messaging frame to stdout: ${JSON.stringify(o.bytes)}. The browser drops the connection.${withStderr(o.stderr)}`,
          fix: 'Log to stderr (console.error); nothing may print to stdout before host.listen() takes it over.',
          // Firefox reads the text's first 4 bytes as a length and names it; Chromium has one text for it.
          browserSays:
            c.family === 'firefox'
              ? firefoxStrayWords(o.length)
              : 'Error when communicating with the native messaging host.',
        },
      ]
    case 'exited':
      return [
        {
          level: 'error',
          code: 'host-crashed',
          message: `Host exited (${o.signal ?? `code ${o.code}`}) before answering.${withStderr(o.stderr)}`,
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
          message: `Host did not answer the hello within ${Math.round(o.ms / 1000)} s; a browser would keep waiting and the extension's calls would time out.${withStderr(o.stderr)}`,
          fix:
            'Make sure the host calls host.listen() from nmrpc/server. If it is only slow to start, wait longer: ' +
            `nmrpc doctor --name ${c.name} --timeout ${Math.max(120_000, c.timeoutMs * 4)}. ${rerun}`,
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

/** A host that answers, late: browsers wait, so it works, but every connectNative pays the wait again. */
function slowStart(ms: number, c: HostContext): Finding {
  const ts = /\b(tsx|ts-node)\b|--experimental-strip-types|--experimental-transform-types/.exec(
    c.launcherText,
  )
  const cause = ts
    ? `TypeScript compiled at every start (the launcher runs ${ts[0]})`
    : 'work done before host.listen() (loading large modules, top-level await, reading config, opening connections)'
  return {
    level: 'warn',
    code: 'slow-start',
    message:
      `Host took ${(ms / 1000).toFixed(1)} s to answer the hello. Browsers wait for it, so calls work, but a ` +
      `browser starts a new host for every connectNative and each one waits this long. Likely cause: ${cause}.`,
    fix: ts
      ? 'Build the host to JavaScript (nmrpc build, esbuild or tsc) and install the built file.'
      : 'Call host.listen() before slow setup, and load heavy modules lazily (await import() inside the handler).',
  }
}
