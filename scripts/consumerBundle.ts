// How an extension author's bundler sees nmrpc: esbuild, one minified ESM bundle for the browser, with the
// metafile that says how many bytes of each input file it kept. scripts/bundle-size.ts measures sizes with
// it and test/exports.test.ts checks with it which files a consumer's bundle keeps; one definition, so that
// the test checks the bundles that the size report measures.
import { type BuildResult, build } from 'esbuild'

/**
 * Bundles `contents` (an entry module's text, resolved from `resolveDir`) and returns esbuild's result,
 * its one output in `outputFiles[0]` and `metafile`.
 *
 * @example
 * const r = await consumerBundle(`import { RpcError } from './dist/client/index.js'; globalThis.e = RpcError`, root)
 * Object.values(r.metafile.outputs)[0].bytes
 */
export function consumerBundle(
  contents: string,
  resolveDir: string,
): Promise<BuildResult<{ write: false; metafile: true }>> {
  return build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    outfile: 'out.js',
    logLevel: 'error',
  })
}
