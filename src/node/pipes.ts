import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The host's stdin and stdout as the parent sees them, and the fds to hand to the child. */
export interface HostPipes {
  /** Parent writes here; the child reads it as stdin. */
  toChild: Socket
  /** Parent reads here; the child writes it as stdout. */
  fromChild: Socket
  /** Pass as `stdio[0]` and `stdio[1]` of `spawn`; close them in the parent after spawning. */
  childStdin: number
  childStdout: number
  release(): void
}

/**
 * Makes real pipes (FIFOs) for a host's stdin and stdout, as browsers give hosts: Node's `spawn` with
 * `'pipe'` gives a Unix socketpair instead, which behaves differently (buffer sizes, write atomicity,
 * speed). The child's ends are opened in blocking mode, like an inherited pipe. Returns null where FIFOs
 * cannot be made (Windows, or no `mkfifo`), and the caller falls back to `spawn`'s pipes.
 */
export function makeHostPipes(): HostPipes | null {
  if (process.platform === 'win32') return null
  let dir: string | undefined
  try {
    dir = mkdtempSync(join(tmpdir(), 'nmrpc-pipes-'))
    const inPath = join(dir, 'stdin')
    const outPath = join(dir, 'stdout')
    execFileSync('mkfifo', ['-m', '600', inPath, outPath], { stdio: 'ignore' })
    // Opening a FIFO blocks until the other end is open; a short-lived read-write "keeper" end lets both
    // ends open at once, after which it is closed so EOF still arrives when the writer goes away.
    const keepIn = openSync(inPath, constants.O_RDWR)
    const childStdin = openSync(inPath, constants.O_RDONLY)
    const parentIn = openSync(inPath, constants.O_WRONLY)
    closeSync(keepIn)
    const keepOut = openSync(outPath, constants.O_RDWR)
    const childStdout = openSync(outPath, constants.O_WRONLY)
    const parentOut = openSync(outPath, constants.O_RDONLY)
    closeSync(keepOut)
    rmSync(dir, { recursive: true, force: true })
    const toChild = new Socket({ fd: parentIn, readable: false, writable: true })
    const fromChild = new Socket({ fd: parentOut, readable: true, writable: false })
    return {
      toChild,
      fromChild,
      childStdin,
      childStdout,
      release() {
        closeSync(childStdin)
        closeSync(childStdout)
      },
    }
  } catch {
    if (dir) rmSync(dir, { recursive: true, force: true })
    return null
  }
}
