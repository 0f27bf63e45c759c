import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

/**
 * Bundles the driver and the hosts into plain `.mjs` files under `outDir`, so every measured process
 * starts as plain `node file.mjs` (tsx would add ~250 ms and a loader thread to each start) and so nmrpc
 * is imported by package name from the built `dist`, exactly as a user's code would (tsx would follow
 * tsconfig `paths` to `src` instead). birpc and vscode-jsonrpc are bundled in; nmrpc stays external.
 *
 * @example
 * await bundleBench('bench', '.tmp/bench')
 */
export async function bundleBench(benchDir: string, outDir: string): Promise<void> {
  const hosts = readdirSync(join(benchDir, 'hosts'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(benchDir, 'hosts', file))
  await build({
    entryPoints: [join(benchDir, 'driver.ts'), ...hosts],
    outdir: outDir,
    outbase: benchDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    external: ['nmrpc', 'nmrpc/*'],
    // vscode-jsonrpc is CommonJS and requires Node built-ins; ESM output needs a real require for them.
    banner: {
      js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
}

/**
 * Installs a copy of the built package as `outDir/node_modules/nmrpc` and makes `outDir` its own package
 * scope, so the bundles import `nmrpc/*` the way an installed user would, and a concurrent `npm run build`
 * (tsup cleans dist/ first) cannot pull the files out from under a run. Returns false when dist/ lacks an
 * entry, so the caller can leave nmrpc out with a note. The copy keeps dist's layout, so the profiler can
 * map it back to src/ through the original source maps.
 *
 * @example
 * if (!installSnapshot(root, '.tmp/bench')) notes.push('nmrpc was left out')
 */
export function installSnapshot(root: string, outDir: string, dist = join(root, 'dist')): boolean {
  const entries = ['client', 'server', 'node'].map((entry) => join(dist, entry, 'index.js'))
  if (!entries.every((file) => existsSync(file))) return false
  const target = join(outDir, 'node_modules', 'nmrpc')
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  cpSync(dist, join(target, 'dist'), { recursive: true })
  // The package.json beside that dist: its exports map is the one that dist was built for.
  cpSync(join(dist, '..', 'package.json'), join(target, 'package.json'))
  // Without a package.json of its own, outDir would sit in nmrpc's scope and Node would resolve
  // `nmrpc/*` by self-reference to the live dist/ instead of the copy.
  writeFileSync(
    join(outDir, 'package.json'),
    '{ "name": "nmrpc-bench-run", "private": true, "type": "module" }\n',
  )
  return true
}
