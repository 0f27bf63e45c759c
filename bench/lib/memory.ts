import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

const MIB = 1024 * 1024

function statusField(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1')
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line; the benchmark needs Linux procfs.`)
  return (Number(match[1]) * 1024) / MIB
}

/**
 * Current resident set size of a process, in MiB.
 *
 * @example
 * const idle = rssMiB(host.pid)
 */
export function rssMiB(pid: number | 'self'): number {
  return statusField(pid, 'VmRSS')
}

/**
 * Peak resident set size of a process since its start or since the last `resetPeak`, in MiB.
 *
 * @example
 * resetPeak(pid); await work(); const grew = peakMiB(pid) - idle
 */
export function peakMiB(pid: number | 'self'): number {
  return statusField(pid, 'VmHWM')
}

/**
 * Resets a process's peak RSS to its current RSS (Linux >= 4.0, `echo 5 > /proc/PID/clear_refs`), so the
 * peak that follows belongs to one workload and not to startup.
 *
 * @example
 * resetPeak('self')
 */
export function resetPeak(pid: number | 'self'): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5')
}

/**
 * The pids of this process's direct children, read from procfs. Used to find a host started by a library
 * (nmrpc's `spawnHost`) that does not hand out its pid.
 *
 * @example
 * const [hostPid] = childPids()
 */
export function childPids(): number[] {
  const pids: number[] = []
  for (const task of readdirSync('/proc/self/task')) {
    const text = readFileSync(`/proc/self/task/${task}/children`, 'latin1').trim()
    if (text) for (const pid of text.split(/\s+/)) pids.push(Number(pid))
  }
  return pids
}

/**
 * CPU time (user + system) a process has used, in µs, from /proc/PID/stat (10 ms ticks on Linux): for a
 * process other than this one (the host), where `process.cpuUsage()` cannot reach.
 *
 * @example
 * const before = cpuMicros(host.pid); await work(); const used = cpuMicros(host.pid) - before
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100
}
