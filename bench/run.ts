/**
 * `npm run bench`: the benchmark suite of issue 7. Bundles the driver and hosts, then runs every
 * (repetition x workload x contender) as its own "browser" process (driver.mjs) with its own host over
 * real pipes, round-robin so that drift hits every contender alike. Prints a table of medians (min-max)
 * and ratios to raw framing, and writes it into bench/RESULTS.md with the command that produced it.
 *
 * Options:
 *   --only rtt,inflight,echo,stream,binary,during,cold,stall   workload groups (default: all; cold =
 *                                                   bench/coldStart.ts, stall = bench/decodeStall.ts);
 *                                                   also `bigflight` (256 KiB echo, 64 in flight), only when named
 *   --contenders raw,nmrpc,nmrpc-app,nmrpc-app-copy,birpc,vscode,orpc,capnweb,trpc   contenders (default: all that are available)
 *   --reps N                                        repetitions (default 5)
 *   --quick                                         fewer calls per workload (see QUICK_LOAD in lib/workloads.ts),
 *                                                   for a check or rough ratios on a busy machine
 *   --no-write                                      print only, leave RESULTS.md alone
 *   --profile                                       profile client and host (nmrpc unless --contenders) into bench/PROFILE.md
 *   --profile-file NAME.md                          write the profile to bench/NAME.md instead
 *   --baseline-dist DIR                             adds contender "nmrpc (baseline)": the nmrpc adapter against
 *                                                   the built dist/ DIR of another commit, round-robin with this one
 *
 * A baseline dist, so that before/after run paired in one run (issue 15: no ratio to raw worse by 5%):
 *   git worktree add /tmp/before <rev> && cp -r node_modules /tmp/before/ && (cd /tmp/before && npm run build)
 *   npm run bench -- --baseline-dist /tmp/before/dist --only rtt,inflight
 * (`git worktree remove /tmp/before` afterwards). The package.json beside DIR is installed with it.
 */
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { measureColdStart, writeColdStart } from './coldStart'
import { measureDecodeStall, writeDecodeStall } from './decodeStall'
import type { DriverResult } from './driver'
import { bundleBench, installSnapshot } from './lib/bundle'
import { machineHeader, type RepResult, renderReport, writeResults } from './lib/report'
import { CONTENDERS, type ContenderName } from './lib/session'
import { useQuickLoad, type WorkloadId } from './lib/workloads'
import { profileContenders } from './profile'

const GROUPS: Record<string, WorkloadId[]> = {
  rtt: ['rtt', 'rtt-1cpu'],
  inflight: ['inflight64', 'inflight256'],
  echo: ['echo'],
  stream: ['stream'],
  binary: ['binary'],
  during: ['during'],
  bigflight: ['bigflight'],
}
/** Groups run only when named in --only (not part of the full table in RESULTS.md). */
const EXTRA_GROUPS = new Set(['bigflight'])
const PINNED = new Set<WorkloadId>(['rtt-1cpu'])
const DRIVER_TIMEOUT_MS = 180_000

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, '.tmp', 'bench')
/** The second bundle, whose `nmrpc` is the baseline dist (`--baseline-dist`). */
const baselineDir = join(root, '.tmp', 'bench-baseline')

/**
 * Runs one measurement in a fresh driver process; bounded, and never throws (errors become results).
 * `nodeFlags` go to the driver's node and, through BENCH_HOST_FLAGS, to the host's.
 */
function runDriver(contender: ContenderName, workload: WorkloadId, nodeFlags: string[] = []) {
  const dir = contender === 'nmrpc-baseline' ? baselineDir : outDir
  const driver = [join(dir, 'driver.mjs'), contender, workload, join(dir, 'hosts')]
  const node = [process.execPath, '--expose-gc', ...nodeFlags, ...driver]
  const argv = PINNED.has(workload) ? ['taskset', '-c', '0', ...node] : node
  return new Promise<DriverResult>((done) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
      env: nodeFlags.length ? { ...process.env, BENCH_HOST_FLAGS: JSON.stringify(nodeFlags) } : process.env,
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text))
    const timer = setTimeout(() => child.kill('SIGKILL'), DRIVER_TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.trim().split('\n').pop() ?? ''
      let parsed: Partial<DriverResult> = {}
      try {
        parsed = JSON.parse(line)
      } catch {
        parsed = { error: `driver printed no result (exit ${code ?? signal}): ${line.slice(0, 200)}` }
      }
      if (signal === 'SIGKILL') parsed.error = `timed out after ${DRIVER_TIMEOUT_MS / 1000} s`
      done({ metrics: {}, ...parsed, contender, workload })
    })
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      contenders: { type: 'string' },
      reps: { type: 'string', default: '5' },
      'no-write': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'profile-file': { type: 'string' },
      'baseline-dist': { type: 'string' },
    },
  })
  if (values.quick) useQuickLoad()
  const asked0 = values.only
    ? values.only.split(',')
    : [...Object.keys(GROUPS).filter((g) => !EXTRA_GROUPS.has(g)), 'cold', 'stall']
  // Cold start of built hosts (issue 13) and decoding stalls (issue 15) have their own runners and
  // sections: see bench/coldStart.ts and bench/decodeStall.ts.
  const groups = asked0.filter((g) => g !== 'cold' && g !== 'stall')
  if (asked0.includes('stall')) {
    const { markdown } = measureDecodeStall({ reps: Number(values.reps) })
    process.stdout.write(`${markdown}\n`)
    if (!values['no-write']) writeDecodeStall(join(root, 'bench', 'RESULTS.md'), markdown)
    if (groups.length === 0 && !asked0.includes('cold')) return
  }
  if (asked0.includes('cold')) {
    const { markdown } = await measureColdStart({
      outDir: join(root, '.tmp', 'bench-cold'),
      reps: Number(values.reps),
    })
    process.stdout.write(`${markdown}\n`)
    if (!values['no-write']) await writeColdStart(join(root, 'bench', 'RESULTS.md'), markdown)
    if (groups.length === 0) return
  }
  const unknownGroup = groups.find((g) => !(g in GROUPS))
  if (unknownGroup)
    throw new Error(
      `--only: no workload group "${unknownGroup}"; use ${[...Object.keys(GROUPS), 'cold', 'stall'].join(',')}.`,
    )
  const workloads = groups.flatMap((g) => GROUPS[g]!)
  const baseline = values['baseline-dist']
  const asked = (values.contenders?.split(',') ??
    CONTENDERS.filter((c) => c !== 'nmrpc-baseline')) as ContenderName[]
  const unknownContender = asked.find((c) => !CONTENDERS.includes(c))
  if (unknownContender)
    throw new Error(`--contenders: no contender "${unknownContender}"; use ${CONTENDERS.join(',')}.`)
  if (asked.includes('nmrpc-baseline') && baseline === undefined)
    throw new Error(
      '--contenders nmrpc-baseline needs --baseline-dist <dir>, the built dist/ of another commit.',
    )
  if (baseline !== undefined && !asked.includes('nmrpc-baseline')) {
    const at = asked.indexOf('nmrpc')
    asked.splice(at < 0 ? asked.length : at + 1, 0, 'nmrpc-baseline')
  }
  mkdirSync(outDir, { recursive: true })
  const built = installSnapshot(root, outDir)
  if (baseline !== undefined) {
    mkdirSync(baselineDir, { recursive: true })
    if (!installSnapshot(root, baselineDir, resolve(baseline)))
      throw new Error(
        `--baseline-dist: "${baseline}" has no client, server and node entries; give the dist/ of a built checkout (see the header of bench/run.ts).`,
      )
  }
  const notes: string[] = []
  const contenders = asked.filter((c) => {
    if (!c.startsWith('nmrpc') || built) return true
    notes.push('nmrpc was left out: dist/ has no client, server and node entries (run `npm run build`).')
    return false
  })
  const reps = Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps: "${values.reps}" is not a whole number >= 1.`)

  await bundleBench(join(root, 'bench'), outDir)
  if (baseline !== undefined) await bundleBench(join(root, 'bench'), baselineDir)

  if (values.profile) {
    const who = values.contenders ? contenders : (['nmrpc'] as ContenderName[])
    const file = values['profile-file']
    if (file !== undefined && !/^[\w.-]+\.md$/.test(file))
      throw new Error(`--profile-file: "${file}" is not a plain NAME.md; it is written under bench/.`)
    await profileContenders({ root, outDir, workloads, contenders: who, runDriver, file })
    return
  }

  const header = machineHeader(root)
  process.stderr.write(`${header.join('\n')}\n`)
  const results: RepResult[] = []
  const began = Date.now()
  for (let rep = 1; rep <= reps; rep++) {
    for (const workload of workloads) {
      for (const contender of contenders) {
        const result = await runDriver(contender, workload)
        results.push({ ...result, rep })
        const shown = result.error
          ? `ERROR ${result.error.split('\n')[0]}`
          : Object.entries(result.metrics)
              .map(([k, v]) => `${k}=${v.toFixed(1)}`)
              .join(' ')
        process.stderr.write(`[rep ${rep}/${reps}] ${workload} ${contender}: ${shown}\n`)
      }
    }
  }
  const args = process.argv.slice(2)
  // The exact command: through npm (which builds first) or run.ts directly against an existing dist.
  const command =
    process.env.npm_lifecycle_event === 'bench'
      ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
      : ['node --import tsx bench/run.ts', ...args].join(' ')
  const report = renderReport({
    header,
    command,
    reps,
    workloads,
    contenders,
    results,
    notes,
    seconds: (Date.now() - began) / 1000,
  })
  process.stdout.write(`${report}\n`)
  if (!values['no-write']) {
    const file = join(root, 'bench', 'RESULTS.md')
    writeResults(file, report)
    process.stderr.write('wrote bench/RESULTS.md\n')
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
