import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DriverResult } from './driver'
import { type Hot, type ProfileSummary, summarizeProfile } from './lib/cpuProfile'
import type { ContenderName } from './lib/session'
import type { WorkloadId } from './lib/workloads'

/** What run.ts hands the profiler. */
export interface ProfileInput {
  root: string
  outDir: string
  workloads: WorkloadId[]
  /** Who to profile; nmrpc unless --contenders says otherwise. */
  contenders: ContenderName[]
  runDriver: (contender: ContenderName, workload: WorkloadId, nodeFlags?: string[]) => Promise<DriverResult>
  /** File under bench/ to write (default PROFILE.md), so a comparison of peers can sit beside nmrpc's. */
  file?: string
}

function table(rows: Hot[], title: string): string[] {
  if (rows.length === 0) return []
  const out = ['', `**${title}**`, '', '| ms | share | function | where |', '|---:|---:|---|---|']
  for (const r of rows)
    out.push(`| ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(1)}% | ${r.name} | ${r.where} |`)
  return out
}

function render(side: string, workload: WorkloadId, summary: ProfileSummary): string[] {
  const out = [``, `### ${workload}: ${side} (${summary.totalMs.toFixed(0)} ms sampled)`]
  out.push('', '| kind | ms | share |', '|---|---:|---:|')
  for (const k of summary.kinds)
    out.push(`| ${k.name} | ${k.ms.toFixed(1)} | ${(k.share * 100).toFixed(1)}% |`)
  out.push(...table(summary.selfTop.slice(0, 15), 'Top functions by self time'))
  out.push(...table(summary.nmrpcInclusive.slice(0, 12), 'nmrpc functions by inclusive time'))
  out.push(...table(summary.nmrpcLines.slice(0, 12), 'nmrpc source lines by self time'))
  return out
}

/**
 * `npm run bench -- --profile [--only ...]`: runs nmrpc once per workload with `--cpu-prof` on both the
 * client ("browser") and the host (BENCH_HOST_FLAGS puts the flag on the host's command line), then maps the
 * profiles back to nmrpc's source and writes bench/PROFILE.md: time per kind, the hottest functions, and
 * the hottest nmrpc lines, per side and workload.
 *
 * @example
 * await profileContenders({ root, outDir, workloads: ['inflight64'], contenders: ['nmrpc'], runDriver })
 */
export async function profileContenders(input: ProfileInput): Promise<void> {
  const lines = [
    `# CPU profiles on the benchmark workloads (${input.contenders.join(', ')})`,
    '',
    `Written by \`npm run bench -- --profile --only ${[...new Set(input.workloads.map(groupOf))].join(',')}\` on ${new Date().toISOString()}.`,
    'Self time is where the CPU was; inclusive time counts a function whenever it is on the stack.',
    "Positions are mapped from dist/ to src/ through the build's source maps.",
  ]
  for (const contender of input.contenders)
    for (const workload of input.workloads) lines.push(...(await profileOne(input, contender, workload)))
  const report = lines.join('\n')
  process.stdout.write(`${report}\n`)
  const name = input.file ?? 'PROFILE.md'
  writeFileSync(join(input.root, 'bench', name), `${report}\n`)
  process.stderr.write(`wrote bench/${name}\n`)
}

async function profileOne(
  input: ProfileInput,
  contender: ContenderName,
  workload: WorkloadId,
): Promise<string[]> {
  const lines: string[] = []
  {
    const dir = join(input.outDir, 'prof', contender, workload)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const result = await input.runDriver(contender, workload, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
    if (result.error) throw new Error(`--profile: ${contender} failed on ${workload}: ${result.error}`)
    process.stderr.write(`profiled ${contender} ${workload}: ${JSON.stringify(result.metrics)}\n`)
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const path = join(dir, file)
      const text = readFileSync(path, 'utf8')
      const side = text.includes('driver.mjs')
        ? 'client (browser side)'
        : text.includes(`hosts/${contender}.mjs`)
          ? 'host'
          : ''
      if (!side) continue
      lines.push(...render(`${contender} ${side}`, workload, summarizeProfile(path, input.root)))
    }
  }
  return lines
}

function groupOf(workload: WorkloadId): string {
  if (workload.startsWith('rtt')) return 'rtt'
  if (workload.startsWith('inflight')) return 'inflight'
  return workload
}
