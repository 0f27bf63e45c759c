import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A child process whose stdin and stdout are real pipes, seen from the parent as two sockets. */
export interface PipedChild {
  child: ChildProcess
  /** Writes go to the child's stdin. */
  toChild: Socket
  /** The child's stdout. */
  fromChild: Socket
}

/**
 * Starts a program with its stdin and stdout on real pipes, as Chromium and Firefox start a native host.
 * Node's `spawn(..., { stdio: 'pipe' })` hands the child a Unix socketpair instead, which has other
 * buffering (small messages are about 2x slower on pipes, bulk 2-3x faster on sockets), so a benchmark over
 * it would not measure what a browser sees. Two fifos give true pipes: each end is opened non-blocking
 * (so neither open waits for the other side), the child's ends become its fd 0 and 1, and the parent's
 * ends are wrapped in `net.Socket`, which libuv drives as pipes. The fifo names are removed at once; the
 * open descriptors keep the pipes alive.
 *
 * @example
 * const { child, toChild, fromChild } = spawnOverPipes(process.execPath, ['host.mjs'])
 */
export function spawnOverPipes(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): PipedChild {
  const dir = mkdtempSync(join(tmpdir(), 'nmrpc-bench-'))
  const down = join(dir, 'down')
  const up = join(dir, 'up')
  try {
    execFileSync('mkfifo', [down, up])
    const childIn = openSync(down, constants.O_RDONLY | constants.O_NONBLOCK)
    const parentOut = openSync(down, constants.O_WRONLY | constants.O_NONBLOCK)
    const parentIn = openSync(up, constants.O_RDONLY | constants.O_NONBLOCK)
    const childOut = openSync(up, constants.O_WRONLY | constants.O_NONBLOCK)
    let child: ChildProcess
    try {
      child = spawn(command, args, {
        stdio: [childIn, childOut, 'inherit'],
        env: options.env ?? process.env,
        cwd: options.cwd,
      })
    } finally {
      closeSync(childIn)
      closeSync(childOut)
    }
    const toChild = new Socket({ fd: parentOut, readable: false, writable: true })
    const fromChild = new Socket({ fd: parentIn, readable: true, writable: false })
    // A host that dies mid-run surfaces as an exit; the sockets' own errors (EPIPE) would only repeat it.
    toChild.on('error', () => {})
    fromChild.on('error', () => {})
    return { child, toChild, fromChild }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Ends a piped child the way a browser does: close its stdin, give it `graceMs` to exit, then kill it.
 *
 * @example
 * await stopChild(piped, 2000)
 */
export async function stopChild(piped: PipedChild, graceMs = 2000): Promise<void> {
  const { child, toChild, fromChild } = piped
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  toChild.end()
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
  fromChild.destroy()
}
