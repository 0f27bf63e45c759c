import type { Family } from './browsers.js'

/** A native messaging host manifest as browsers read it. */
export interface HostManifest {
  name: string
  description: string
  path: string
  type: 'stdio'
  allowed_origins?: string[]
  allowed_extensions?: string[]
}

/**
 * The manifest for one browser family: Chromium-family browsers read `allowed_origins`
 * (`chrome-extension://ID/`), Firefox-family browsers read `allowed_extensions` (Gecko ids).
 *
 * @example
 * buildManifest('chromium', { name: 'com.acme.app', path: '/x/launcher.sh', ids: ['chrome-extension://abc.../'] })
 */
export function buildManifest(
  family: Family,
  o: { name: string; path: string; ids: readonly string[]; description?: string },
): HostManifest {
  const base = {
    name: o.name,
    description: o.description ?? `${o.name} (nmrpc host)`,
    path: o.path,
    type: 'stdio' as const,
  }
  return family === 'chromium'
    ? { ...base, allowed_origins: [...o.ids] }
    : { ...base, allowed_extensions: [...o.ids] }
}

/** The exact bytes nmrpc writes for a manifest (stable, so a second install can tell "unchanged"). */
export function manifestText(m: HostManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`
}
