import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throwaway world for one browser run: its own home, XDG folders and temp dir. */
export interface RunDir {
  /** Root of everything this run writes; removed by `remove()`. */
  readonly root: string
  /** Stands in for $HOME: browsers write crash reports and Firefox reads host manifests here. */
  readonly home: string
  /** The environment to give the browser: the parent's, with every per-user folder moved under `root`. */
  readonly env: Record<string, string>
  /** A fresh folder under `root`. */
  dir(name: string): string
  remove(): void
}

/**
 * Creates a temp folder with its own HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and TMPDIR, so that a
 * browser started with `env` writes nothing to the real home (Chromium writes crash reports under the
 * home even with `--user-data-dir`).
 *
 * @example
 * const run = createRunDir('chromium')
 * spawn('/usr/bin/chromium', args, { env: run.env })
 * run.remove()
 */
export function createRunDir(label: string): RunDir {
  const root = mkdtempSync(join(tmpdir(), `nmrpc-e2e-${label}-`))
  const sub = (name: string): string => {
    const path = join(root, name)
    mkdirSync(path, { recursive: true })
    return path
  }
  const home = sub('home')
  const inherited: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v
  const env: Record<string, string> = {
    ...inherited,
    HOME: home,
    XDG_CONFIG_HOME: sub('home/.config'),
    XDG_CACHE_HOME: sub('home/.cache'),
    XDG_DATA_HOME: sub('home/.local/share'),
    TMPDIR: sub('tmp'),
  }
  // A display or a session bus from the developer's desktop would let a browser reach outside the run.
  delete env.DISPLAY
  delete env.WAYLAND_DISPLAY
  delete env.DBUS_SESSION_BUS_ADDRESS
  return {
    root,
    home,
    env,
    dir: sub,
    remove: () => rmSync(root, { recursive: true, force: true, maxRetries: 3 }),
  }
}
