import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where the browser finds a native host and who may start it. */
export interface HostRegistration {
  /** The host name the extension passes to `connectNative`, e.g. `com.nmrpc.e2e`. */
  readonly name: string
  /** Absolute path of the executable the browser starts (see `writeLauncher`). */
  readonly path: string
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/**
 * Writes an executable shell launcher that runs a Node script with this Node binary, because a host
 * manifest's `path` must name an executable and `#!/usr/bin/env node` would depend on the browser's PATH.
 * Extra environment variables are baked in, so the host does not depend on what the browser passes on.
 *
 * @example
 * const path = writeLauncher(join(dir, 'host.sh'), join(dir, 'host.mjs'), { REPORT: file })
 */
export function writeLauncher(path: string, script: string, env: Record<string, string> = {}): string {
  const vars = Object.entries(env)
    .map(([k, v]) => `${k}=${quote(v)} `)
    .join('')
  writeFileSync(path, `#!/bin/sh\n${vars}exec ${quote(process.execPath)} ${quote(script)} "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

/**
 * Registers a host for a Chromium run: the per-user location is really `<user-data-dir>/NativeMessagingHosts`,
 * so nothing is written to the real home.
 *
 * @example
 * registerChromiumHost(userDataDir, { name: 'com.nmrpc.e2e', path: launcher }, extensionId)
 */
export function registerChromiumHost(
  userDataDir: string,
  host: HostRegistration,
  extensionId: string,
): string {
  return writeManifest(join(userDataDir, 'NativeMessagingHosts'), host, {
    allowed_origins: [`chrome-extension://${extensionId}/`],
  })
}

/**
 * Registers a host for a Firefox run under `<home>/.mozilla/native-messaging-hosts`, where `home` is the
 * run's throwaway HOME.
 *
 * @example
 * registerFirefoxHost(run.home, { name: 'com.nmrpc.e2e', path: launcher }, 'e2e@nmrpc.test')
 */
export function registerFirefoxHost(home: string, host: HostRegistration, geckoId: string): string {
  return writeManifest(join(home, '.mozilla', 'native-messaging-hosts'), host, {
    allowed_extensions: [geckoId],
  })
}

/** The `name` inside a host manifest file: browsers look the manifest up as `<name>.json`. */
export function hostNameOf(manifestFile: string): string {
  const manifest: unknown = JSON.parse(readFileSync(manifestFile, 'utf8'))
  const name =
    typeof manifest === 'object' && manifest !== null ? (manifest as { name?: unknown }).name : undefined
  if (typeof name !== 'string')
    throw new Error(`Host manifest ${manifestFile} has no string "name"; add one.`)
  return name
}

/** Writes `<dir>/<name>.json`, the host manifest both browser families read, with their allow-list field. */
function writeManifest(dir: string, host: HostRegistration, allowed: Record<string, string[]>): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${host.name}.json`)
  const manifest = {
    name: host.name,
    description: `nmrpc e2e host ${host.name}`,
    path: host.path,
    type: 'stdio',
    ...allowed,
  }
  writeFileSync(file, JSON.stringify(manifest, null, 2))
  return file
}
