import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * Bundles a TypeScript host into one ESM file for Node, resolving `nmrpc/server` through the package's
 * `exports` to the built `dist/` (the repo's tsconfig `paths` to `src/` are ignored on purpose), so the
 * host in a browser test runs the same code a user's host would. Returns the bundled inputs.
 *
 * @example
 * await bundleHost('test/e2e/fixtures/rpcHost.ts', join(run.root, 'hosts/rpcHost.mjs'))
 */
export async function bundleHost(entry: string, outfile: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfigRaw: '{}',
    absWorkingDir: repoRoot,
    metafile: true,
    logLevel: 'silent',
    // Bundled CommonJS that calls require() needs a real require in an ES module.
    banner: {
      js: "import { createRequire as __nmrpcCreateRequire } from 'node:module'; const require = __nmrpcCreateRequire(import.meta.url);",
    },
  })
  return Object.keys(result.metafile.inputs)
}
