import { readdirSync, readFileSync } from 'node:fs'

/**
 * Lists the processes that belong to one run: those whose command line or environment mentions the
 * run's root folder (every browser, helper and native host of a run inherits HOME under it).
 * Matching on the unique temp path means we only ever touch processes this run started.
 *
 * @example
 * for (const pid of processesOf(run.root)) process.kill(pid, 'SIGKILL')
 */
export function processesOf(root: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1')
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1')
      if (cmdline.includes(root) || environ.includes(root)) pids.push(pid)
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids
}

/**
 * Kills what is left of a run, by pid, and reports what it had to kill so a test can say a browser
 * or host outlived its close.
 *
 * @example
 * const leftovers = killRun(run.root)
 */
export function killRun(root: string): number[] {
  const pids = processesOf(root)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  return pids
}

/** Waits until no process of the run is left, or `ms` passes; returns the pids still alive. */
export async function waitRunGone(root: string, ms: number): Promise<number[]> {
  const until = Date.now() + ms
  let left = processesOf(root)
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100))
    left = processesOf(root)
  }
  return left
}
