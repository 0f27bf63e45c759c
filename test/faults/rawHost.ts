import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { makeHostPipes } from '../../src/node/pipes.js'
import { FrameReader, jsonFrame } from './rawFrames.js'

export const FAULT_HOST = fileURLToPath(new URL('./fixtures/faultHost.ts', import.meta.url))
export const ORIGIN = 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * The fault host as a bare child process with the pipes a browser gives it (FIFOs, blocking on the
 * host's side) and nothing of nmrpc on this side: tests write raw bytes and read raw frames.
 */
export function startRawHost(options: { env?: NodeJS.ProcessEnv } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nmrpc-faults-'))
  const marksFile = join(dir, 'marks')
  const pipes = makeHostPipes()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FAULT_HOST, ORIGIN], {
    // Like a browser: the host's own folder (tsx is also found from there).
    cwd: dirname(FAULT_HOST),
    env: { ...process.env, NMRPC_MARKS: marksFile, ...options.env },
    stdio: pipes ? [pipes.childStdin, pipes.childStdout, 'pipe'] : ['pipe', 'pipe', 'pipe'],
  })
  pipes?.release()
  const toHost: Writable = pipes ? pipes.toChild : child.stdin!
  const fromHost: Readable = pipes ? pipes.fromChild : child.stdout!
  // EPIPE after the host is gone is expected in these tests; its exit is what they check.
  toHost.on('error', () => {})
  fromHost.on('error', () => {})
  const reader = new FrameReader()
  fromHost.on('data', (chunk: Buffer) => reader.push(chunk))
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
  })
  let exit: Exit | null = null
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      resolve(exit)
    })
  })
  // Bounded: whatever a test does, the host does not outlive it by more than a minute.
  const reaper = setTimeout(() => child.kill('SIGKILL'), 60_000)
  reaper.unref()

  return {
    child,
    reader,
    toHost,
    fromHost,
    exited,
    get exit() {
      return exit
    },
    get stderr() {
      return stderr
    },
    marks(): string[] {
      try {
        return readFileSync(marksFile, 'utf8').split('\n').filter(Boolean)
      } catch {
        return []
      }
    },
    write(bytes: Uint8Array): void {
      toHost.write(bytes)
    },
    send(value: unknown): void {
      toHost.write(jsonFrame(value))
    },
    /** The first envelope (so far or to come) that `match` accepts. */
    async reply(match: (e: Record<string, unknown>) => boolean, what: string, ms = 15_000) {
      await until(() => reader.envelopes.some(match) || exit !== null, what, ms)
      const found = reader.envelopes.find(match)
      if (!found)
        throw new Error(`the host exited (${JSON.stringify(exit)}) before ${what}; stderr:\n${stderr}`)
      return found
    },
    async dispose() {
      clearTimeout(reaper)
      toHost.destroy()
      fromHost.destroy()
      if (!exit) {
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type RawHost = ReturnType<typeof startRawHost>

/** Polls `check` until it is true, for effects in another process; fails naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Resolves with the exit, or rejects if the process is still running after `ms` (it is then killed). */
export async function exitWithin(host: RawHost, ms: number, what: string): Promise<Exit> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      host.child.kill('SIGKILL')
      reject(new Error(`the host did not exit within ${ms} ms after ${what}; stderr:\n${host.stderr}`))
    }, ms)
  })
  try {
    return await Promise.race([host.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Lines of stderr that look like a crash: an uncaught error's stack trace. */
export function crashLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at\s|Uncaught|node:internal|Error \[ERR_/.test(l))
}
