import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { UsageError } from '../node/install/errors.js'

// esbuild and postject are optional peer dependencies: only the person who runs `nmrpc build` needs them,
// and an extension that depends on nmrpc for its client should not download a bundler and a binary
// injector. So they are looked up when `build` runs: next to nmrpc (the usual case, both in the project's
// node_modules), then from the project folder (nmrpc installed globally, the tools in the project).

/**
 * The path of `pkg`'s entry (or of `subpath` inside it), found from nmrpc's own folder, then from `cwd`.
 * Throws a {@link UsageError} that says what to install and why.
 *
 * @example
 * resolveTool('postject', 'nmrpc build --sea injects the app into a copy of node', process.cwd())
 */
export function resolveTool(pkg: string, why: string, cwd: string, subpath = ''): string {
  const id = subpath ? `${pkg}/${subpath}` : pkg
  const from = [import.meta.url, pathToFileURL(path.join(cwd, 'package.json')).href].filter(
    (u): u is string => typeof u === 'string' && u.length > 0,
  )
  for (const base of from) {
    try {
      return createRequire(base).resolve(id)
    } catch {}
  }
  throw new UsageError(
    `Cannot find the package "${pkg}": ${why}. It is an optional peer dependency of nmrpc, so that ` +
      `extensions using only the client do not install it. Install it where you build: npm install --save-dev ${pkg}`,
  )
}

/** Imports `pkg` as found by {@link resolveTool}. */
export async function importTool<T>(pkg: string, why: string, cwd: string): Promise<T> {
  const file = resolveTool(pkg, why, cwd)
  return (await import(pathToFileURL(file).href)) as T
}
