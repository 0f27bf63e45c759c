// Fails when package-lock.json is incomplete: every dependency and optional dependency (including the
// per-platform binaries of @biomejs/biome, rollup, esbuild...) that a locked package declares must have its
// own entry in the lock. A lock written on a machine whose registry lacked some platform packages misses
// those entries, and `npm ci` then refuses the lock on every machine (npm/cli#8805); this catches it
// offline, before CI does. Fix: `npm install --package-lock-only` with a registry that serves them all.
import { readFileSync } from 'node:fs'

const lockUrl = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockUrl, 'utf8'))
const packages = lock.packages ?? {}
const problems = []

if (lock.lockfileVersion !== 3 && lock.lockfileVersion !== 2)
  problems.push(`lockfileVersion is ${lock.lockfileVersion}; npm >= 7 writes 2 or 3 (run npm install)`)

/** Where Node (and npm) find `name` from the package at `from`: its own node_modules, then each parent's. */
function resolve(from, name) {
  let base = from
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`
    if (packages[candidate]) return candidate
    if (!base) return undefined
    const i = base.lastIndexOf('/node_modules/')
    base = i < 0 ? '' : base.slice(0, i)
  }
}

let checked = 0
for (const [path, entry] of Object.entries(packages)) {
  if (entry.link) continue
  if (path !== '' && !entry.version) problems.push(`"${path}" has no version`)
  // No check of `resolved`: npm omits it when `omit-lockfile-registry-resolved` is set, and ci still works.
  if (path !== '' && !entry.integrity && !entry.inBundle)
    problems.push(`"${path}" has no "integrity" hash (written by an offline or partial install)`)
  const deps = { ...entry.dependencies, ...entry.optionalDependencies }
  if (path === '') Object.assign(deps, entry.devDependencies)
  for (const name of Object.keys(deps)) {
    checked++
    if (!resolve(path, name)) {
      const kind = entry.optionalDependencies?.[name] ? 'optional dependency' : 'dependency'
      problems.push(
        `"${path || 'the project'}" needs ${kind} ${name}@${deps[name]}, which the lock does not hold`,
      )
    }
  }
}

if (problems.length > 0) {
  console.error(`package-lock.json is incomplete (${problems.length} problems); npm ci will refuse it:`)
  for (const p of problems.slice(0, 40)) console.error(`  - ${p}`)
  if (problems.length > 40) console.error(`  ... and ${problems.length - 40} more`)
  console.error(
    'Fix: run `npm install --package-lock-only` against a registry that serves every platform package, then commit the lock.',
  )
  process.exit(1)
}
console.log(
  `package-lock.json: ${checked} dependency edges of ${Object.keys(packages).length} entries all locked`,
)
