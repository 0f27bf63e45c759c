import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { appEndpoint, secureEndpointDir } from '../../server/endpoint.js'
import type { Finding } from './doctor.js'

/**
 * App mode checks for `nmrpc doctor`: when the launcher a manifest points at runs `nmrpc relay <name>`
 * (written by `nmrpc install --app`), says so, and checks that the app answers at its endpoint. "The app
 * is not running" is its own finding (an error, or a warning when the relay will start it with --launch),
 * so it is not mistaken for a broken install. Returns no findings for a launcher that is not app mode.
 *
 * @example
 * for (const f of await appModeFindings('/home/u/.local/share/nmrpc/com.acme.app/launcher.sh', 'com.acme.app'))
 *   console.log(f.level, f.message)
 */
export async function appModeFindings(launcher: string, name: string): Promise<Finding[]> {
  const text = await readFile(launcher, 'utf8').catch(() => '')
  // The POSIX launcher quotes each argument ('relay' 'name'); the .cmd one double-quotes them.
  const relay = new RegExp(`['"]relay['"] ['"]${name.replace(/\./g, '\\.')}['"]`)
  if (!relay.test(text)) return []
  const launch = /['"]--launch['"]/.test(text)
  let ep: ReturnType<typeof appEndpoint>
  try {
    ep = appEndpoint(name)
  } catch (e) {
    return [{ level: 'error', code: 'app-endpoint', message: (e as Error).message }]
  }
  const findings: Finding[] = [
    {
      level: 'info',
      code: 'app-mode',
      message: `App mode: the launcher runs "nmrpc relay ${name}", which reaches the running app at ${ep.path}.`,
    },
  ]
  const why = await reachable(ep)
  if (why === null) {
    findings.push({ level: 'ok', code: 'app-running', message: `The app is running: ${ep.path} answers.` })
    return findings
  }
  findings.push({
    level: launch ? 'warn' : 'error',
    code: 'app-not-running',
    message:
      `The app is not running: ${why}.` +
      (launch ? ' The relay starts it with its --launch command on the first call.' : ''),
    fix: `Start the app (the process that calls host.serve({ name: '${name}' })) as the same user, with the same XDG_RUNTIME_DIR as the browser${launch ? '' : `, or reinstall with nmrpc install --app --launch "<command>" so the relay starts it`}.`,
  })
  return findings
}

/** Null when the endpoint accepts a connection, else why not. */
async function reachable(ep: ReturnType<typeof appEndpoint>): Promise<string | null> {
  try {
    if (ep.dir && !secureEndpointDir(ep.dir, false)) return `nothing listens at ${ep.path} (no such folder)`
  } catch (e) {
    return (e as Error).message
  }
  return new Promise((resolve) => {
    const s = connect(ep.path)
    const done = (why: string | null) => {
      clearTimeout(timer)
      s.destroy()
      resolve(why)
    }
    const timer = setTimeout(() => done(`${ep.path} did not accept a connection within 3 s`), 3_000)
    s.once('connect', () => done(null))
    s.once('error', (e: NodeJS.ErrnoException) =>
      done(
        `nothing listens at ${ep.path} (${e.code === 'ECONNREFUSED' ? 'a stale socket: its app is gone' : e.code === 'ENOENT' ? 'no such socket' : e.message})`,
      ),
    )
  })
}
