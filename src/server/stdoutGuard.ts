/**
 * Keeps stdout for framed messages only: after `guardStdout()`, `console.log`, `console.info` and stray
 * `process.stdout.write` calls go to stderr (which browsers pass through to their own log), and the
 * returned function is the only way left to write to the real stdout. Writes straight to fd 1 (e.g.
 * `fs.writeSync(1, …)` or a child process inheriting stdout) cannot be caught here and would corrupt the
 * stream: give child processes `stdio: ['pipe', 'pipe', 'inherit']` or `'ignore'`.
 */
export function guardStdout(): {
  write: (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean
  restore: () => void
} {
  const stdout = process.stdout
  const original = stdout.write
  const realWrite = original.bind(stdout) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean
  const toStderr = ((chunk: unknown, encoding?: unknown, cb?: unknown) =>
    (process.stderr.write as (...a: unknown[]) => boolean)(chunk, encoding, cb)) as typeof stdout.write
  stdout.write = toStderr
  return {
    write: realWrite,
    restore: () => {
      if (stdout.write === toStderr) stdout.write = original
    },
  }
}
