import type { DriverResult } from './driver'
import type { ContenderName } from './lib/session'
import type { WorkloadId } from './lib/workloads'

/** What run.ts hands the profiler. */
export interface ProfileInput {
  root: string
  outDir: string
  workloads: WorkloadId[]
  runDriver: (
    contender: ContenderName,
    workload: WorkloadId,
    env?: NodeJS.ProcessEnv,
  ) => Promise<DriverResult>
}

/** Profiles nmrpc's client and host (filled in once nmrpc is built). */
export async function profileNmrpc(_input: ProfileInput): Promise<void> {
  throw new Error('--profile: not available yet')
}
