import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The parts of a V8 `.cpuprofile` (as written by `node --cpu-prof`) that the summary reads. */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
  children?: number[]
  positionTicks?: { line: number; ticks: number }[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** One row of a summary: a function or a line, its time in ms and its share of the sampled time. */
export interface Hot {
  where: string
  name: string
  ms: number
  share: number
}

/** What a profile says, in source terms. */
export interface ProfileSummary {
  totalMs: number
  /** Time per kind: nmrpc source, Node internals, GC, idle, and so on. */
  kinds: Hot[]
  /** Functions by self time. */
  selfTop: Hot[]
  /** nmrpc source lines by self time (from V8's position ticks, mapped through dist's source maps). */
  nmrpcLines: Hot[]
  /** nmrpc functions by inclusive time (time with the function anywhere on the stack). */
  nmrpcInclusive: Hot[]
}

/** Maps generated positions in dist/*.js and .tmp/bench/*.mjs back to source files through their maps. */
class SourceMapper {
  private maps = new Map<string, SourceMap | null>()

  constructor(private readonly root: string) {}

  /** `line` and `column` are 0-based, as in call frames. Returns 'path:line' relative to the root. */
  map(url: string, line: number, column: number): string {
    if (!url.startsWith('file://')) return url ? `${url}:${line + 1}` : '(native)'
    const file = fileURLToPath(url)
    // The bench runs a copy of dist/ (see installSnapshot): read the copy's own map (dist/ may have been
    // rebuilt since), but resolve its relative sources from dist/'s place, where they point at src/.
    const copy = file.indexOf('/node_modules/nmrpc/dist/')
    const base = copy >= 0 ? join(this.root, file.slice(copy + '/node_modules/nmrpc/'.length)) : file
    const map = this.load(file)
    const entry = map?.findEntry(line, column)
    if (entry && 'originalSource' in entry && entry.originalSource) {
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(base), entry.originalSource)
      return `${relative(this.root, source)}:${entry.originalLine + 1}`
    }
    return `${relative(this.root, base)}:${line + 1}`
  }

  private load(file: string): SourceMap | null {
    if (!this.maps.has(file)) {
      const mapFile = `${file}.map`
      this.maps.set(
        file,
        existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null,
      )
    }
    return this.maps.get(file) ?? null
  }
}

function kindOf(node: ProfileNode, where: string): string {
  const name = node.callFrame.functionName
  if (name === '(garbage collector)') return 'GC'
  if (name === '(idle)') return 'idle (waiting for the pipe)'
  if (name === '(program)') return 'V8/native outside JS'
  if (where.startsWith('src/')) return 'nmrpc (src/)'
  if (where.startsWith('node:')) return 'Node internals (streams, net, buffers)'
  if (where.includes('node_modules/superjson')) return 'superjson'
  if (where.startsWith('bench/')) return 'benchmark workload'
  if (where === '(native)') return 'native builtins (JSON, strings...)'
  return 'other'
}

function top(map: Map<string, { name: string; ms: number }>, total: number, count: number): Hot[] {
  return [...map.entries()]
    .map(([where, v]) => ({ where, name: v.name, ms: v.ms, share: v.ms / total }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
}

function add(map: Map<string, { name: string; ms: number }>, key: string, name: string, ms: number): void {
  const entry = map.get(key)
  if (entry) entry.ms += ms
  else map.set(key, { name, ms })
}

/**
 * Reads a `.cpuprofile` and says where the time went, in source terms: dist positions are mapped back
 * to `src/...:line` through tsup's source maps, so the answer points at the code to change.
 *
 * @example
 * const summary = summarizeProfile('.tmp/bench/prof/x.cpuprofile', process.cwd())
 */
export function summarizeProfile(file: string, root: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const mapper = new SourceMapper(root)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const whereOf = new Map<number, string>()
  for (const node of profile.nodes) {
    const { url, lineNumber, columnNumber } = node.callFrame
    whereOf.set(node.id, mapper.map(url, lineNumber, columnNumber))
  }

  // Time per sample: V8 records the delta before each sample; the sum is the profiled wall time.
  const selfMs = new Map<number, number>()
  let totalMs = 0
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    totalMs += ms
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms)
  })

  const kinds = new Map<string, { name: string; ms: number }>()
  const self = new Map<string, { name: string; ms: number }>()
  const lines = new Map<string, { name: string; ms: number }>()
  const inclusive = new Map<string, { name: string; ms: number }>()
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!
    const where = whereOf.get(id)!
    const name = node.callFrame.functionName || '(anonymous)'
    add(kinds, kindOf(node, where), '', ms)
    add(self, `${name} ${where}`, name, ms)
    const ticks = node.positionTicks ?? []
    const tickSum = ticks.reduce((sum, t) => sum + t.ticks, 0)
    if (where.startsWith('src/') && tickSum > 0) {
      for (const t of ticks) {
        const at = mapper.map(node.callFrame.url, t.line - 1, 10_000)
        add(lines, at, name, (ms * t.ticks) / tickSum)
      }
    }
    // Inclusive: every distinct nmrpc function on this node's stack gets the node's self time.
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const w = whereOf.get(at)!
      if (!w.startsWith('src/')) continue
      const n = byId.get(at)!.callFrame.functionName || '(anonymous)'
      const key = `${n} ${w}`
      if (seen.has(key)) continue
      seen.add(key)
      add(inclusive, key, n, ms)
    }
  }
  const strip = (rows: Hot[]) => rows.map((r) => ({ ...r, where: r.where.slice(r.name.length + 1) }))
  return {
    totalMs,
    kinds: top(kinds, totalMs, 20).map((k) => ({ ...k, name: k.where })),
    selfTop: strip(top(self, totalMs, 25)),
    nmrpcLines: top(lines, totalMs, 25),
    nmrpcInclusive: strip(top(inclusive, totalMs, 25)),
  }
}
