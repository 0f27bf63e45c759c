// The code cache of a built host, seen from the terminal commands (`--uninstall`) and tests. The start of
// a bundle, which makes and takes the cache, is bundleStart.ts; both name the folder and the files the
// same way (cacheLocation.ts).
import { readdirSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import { cacheDirFor, cacheFileName } from './cacheLocation.js'

/**
 * The folder of nmrpc's code caches for this user: `$XDG_CACHE_HOME/nmrpc/code-cache` (else
 * `~/.cache/...`) on Linux, `~/Library/Caches/nmrpc/code-cache` on macOS, `%LOCALAPPDATA%\nmrpc\code-cache`
 * on Windows. Undefined with no home folder, or when `NMRPC_CODE_CACHE=0` turns the cache off.
 *
 * @example
 * codeCacheDir({ HOME: '/home/u' }, 'linux') // '/home/u/.cache/nmrpc/code-cache'
 */
export function codeCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  return cacheDirFor(env, platform, path, homedir)
}

/**
 * The cache file of one build of host `name` for this node. V8 checks its version, flags and the source
 * itself and rejects a cache that does not match; the name tells a stale file, which the next write removes.
 *
 * @example
 * codeCacheFile('/home/u/.cache/nmrpc/code-cache', 'com.acme.app', 'bundle', '3f2a')
 * // .../com.acme.app-bundle-3f2a-v20.20.2-x64.v8cache
 */
export function codeCacheFile(dir: string, name: string, kind: 'bundle' | 'sea', id: string): string {
  return path.join(dir, cacheFileName(name, kind, id))
}

/**
 * Removes the code caches of host `name` for this user (all builds, all nodes); `--uninstall` calls it.
 * Returns the files removed.
 *
 * @example
 * removeCodeCaches('com.acme.app') // ['/home/u/.cache/nmrpc/code-cache/com.acme.app-3f2a-v20.20.2-x64.v8cache']
 */
export function removeCodeCaches(name: string, dir = codeCacheDir()): string[] {
  if (!dir) return []
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(`${name}-`))
  } catch {
    return []
  }
  for (const f of files) rmSync(path.join(dir, f), { force: true })
  return files.map((f) => path.join(dir, f))
}
