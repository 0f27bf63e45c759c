import { writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

/** The background entries: every scenario, only the raw ones (no nmrpc import), or the peer bench. */
export const backgrounds = {
  all: fileURLToPath(new URL('../extension/background.ts', import.meta.url)),
  raw: fileURLToPath(new URL('../extension/rawBackground.ts', import.meta.url)),
  bench: fileURLToPath(new URL('../extension/benchBackground.ts', import.meta.url)),
} as const

/** Which browser an extension build is for, with the identity that browser needs. */
export type ExtensionTarget =
  | { readonly browser: 'chromium'; readonly key: string }
  | { readonly browser: 'firefox'; readonly geckoId: string; readonly controlHost: string }

export interface BuiltExtension {
  readonly dir: string
  /** Every source file esbuild put in the bundle, relative to the repo root. */
  readonly inputs: readonly string[]
}

/**
 * Bundles a script for an extension the way a user's bundler would: `nmrpc/client` is resolved through
 * the package's `exports` to the built `dist/`, never to `src/` (esbuild is told to ignore the repo's
 * tsconfig `paths`, which point at `src` for the unit tests).
 *
 * @example
 * const inputs = await bundleForExtension(entry, join(dir, 'background.js'), { __FLAG__: 'true' })
 */
export async function bundleForExtension(
  entry: string,
  outfile: string,
  define: Record<string, string> = {},
): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    // An empty tsconfig: the repo's `paths` would send nmrpc/* to src/ and hide a broken exports map.
    tsconfigRaw: '{}',
    absWorkingDir: repoRoot,
    define,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  })
  return Object.keys(result.metafile.inputs).map((p) => relative(repoRoot, join(repoRoot, p)))
}

/**
 * Builds the e2e extension into `dir` for one browser: the bundled background plus a manifest (MV3;
 * Chromium gets a service worker and a fixed `key`, Firefox background scripts and a gecko id).
 *
 * @example
 * const ext = await buildE2eExtension(run.dir('ext'), { browser: 'chromium', key }, 'all')
 */
export async function buildE2eExtension(
  dir: string,
  target: ExtensionTarget,
  background: keyof typeof backgrounds = 'all',
): Promise<BuiltExtension> {
  const controlHost = target.browser === 'firefox' ? JSON.stringify(target.controlHost) : 'undefined'
  const inputs = await bundleForExtension(backgrounds[background], join(dir, 'background.js'), {
    __E2E_CONTROL_HOST__: controlHost,
  })
  const common = {
    manifest_version: 3,
    name: 'nmrpc e2e',
    version: '0.0.1',
    description: 'Runs nmrpc end-to-end scenarios against native hosts.',
    permissions: ['nativeMessaging'],
  }
  const manifest =
    target.browser === 'chromium'
      ? { ...common, key: target.key, background: { service_worker: 'background.js' } }
      : {
          ...common,
          background: { scripts: ['background.js'] },
          browser_specific_settings: { gecko: { id: target.geckoId, strict_min_version: '115.0' } },
        }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return { dir, inputs }
}
