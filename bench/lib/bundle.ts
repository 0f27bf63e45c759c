import { readdirSync } from 'node:fs'
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
