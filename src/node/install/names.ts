import type { Family } from './browsers.js'
import { UsageError } from './errors.js'
import { type Platform, pathFor } from './platform.js'

const HOST_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/

/**
 * Checks a host name against Chrome's rule (the strictest of the browsers): lowercase letters, digits,
 * `_` and `.`, not starting or ending with a dot, no two dots in a row. Throws a {@link UsageError} that
 * says which characters are wrong and suggests a name that would pass.
 *
 * @example
 * validateHostName('com.acme.app') // ok
 * validateHostName('com.Acme-app') // throws: "A", "-" are not allowed ... Try "com.acme_app".
 */
export function validateHostName(name: string): void {
  if (HOST_NAME.test(name)) return
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9_.]/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.+|\.+$/g, '')
  const bad = [...new Set([...name].filter((c) => !/[a-z0-9_.]/.test(c)))]
  const why =
    name === ''
      ? 'it is empty'
      : bad.length > 0
        ? `${bad.map((c) => JSON.stringify(c)).join(', ')} ${bad.length === 1 ? 'is not a lowercase letter, digit,' : 'are not lowercase letters, digits,'} "_" or "."`
        : 'it starts or ends with a dot, or has two dots in a row'
  throw new UsageError(
    `Host name ${JSON.stringify(name)} is not allowed: ${why}. Chrome accepts only lowercase letters, digits, "_" and "." ` +
      `(no leading, trailing or double dots) and otherwise fails with "Invalid native messaging host name specified".` +
      (suggestion && HOST_NAME.test(suggestion) ? ` Try ${JSON.stringify(suggestion)}.` : ''),
  )
}

/** Extension ids sorted by the manifest dialect that lists them. */
export interface ExtensionIds {
  /** `chrome-extension://<id>/` origins, with the trailing slash Chromium requires. */
  origins: string[]
  /** Gecko ids (`name@example.com` or `{uuid}`). */
  geckoIds: string[]
}

const CHROMIUM_ID = /^[a-p]{32}$/
const GECKO_ID =
  /^([a-zA-Z0-9._+-]*@[a-zA-Z0-9._-]+|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$/

/**
 * Sorts `--extension-id` values into Chromium origins and Gecko ids. Accepts a bare Chromium id (32
 * letters a-p), a `chrome-extension://ID` origin with or without its trailing slash, or a Gecko id.
 *
 * @example
 * parseExtensionIds(['abcdefghijklmnopabcdefghijklmnop', 'app@acme.com'])
 * // { origins: ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], geckoIds: ['app@acme.com'] }
 */
export function parseExtensionIds(ids: readonly string[]): ExtensionIds {
  const out: ExtensionIds = { origins: [], geckoIds: [] }
  for (const raw of ids) {
    const id = raw.trim()
    const fromOrigin = /^chrome-extension:\/\/([^/]*)\/?$/.exec(id)
    const bare = fromOrigin ? fromOrigin[1]! : id
    if (CHROMIUM_ID.test(bare)) {
      const origin = `chrome-extension://${bare}/`
      if (!out.origins.includes(origin)) out.origins.push(origin)
    } else if (!fromOrigin && GECKO_ID.test(id)) {
      if (!out.geckoIds.includes(id)) out.geckoIds.push(id)
    } else {
      throw new UsageError(
        `Extension id ${JSON.stringify(raw)} is neither a Chromium id (32 letters a-p, as shown on chrome://extensions) ` +
          `nor a Firefox add-on id (like "app@acme.com" or "{uuid}", from browser_specific_settings.gecko.id).`,
      )
    }
  }
  return out
}

/** The ids a browser of `family` needs in its manifest. */
export function idsFor(family: Family, ids: ExtensionIds): string[] {
  return family === 'chromium' ? ids.origins : ids.geckoIds
}

// cmd.exe, which browsers use to run a .cmd/.bat host, expands %VAR% even inside quotes, and these
// characters end or redirect a command when the quoting is lost (Chrome's `cmd /d /c "..."` strips quotes).
const CMD_HOSTILE = /[%!^&|<>"]/

/**
 * Refuses a path the launcher or manifest cannot carry: relative paths everywhere (browsers start hosts
 * from their own working folder, and Chrome and Firefox require an absolute `path` on Linux and macOS), and
 * on Windows characters cmd.exe misreads.
 *
 * @example
 * checkPath('Host', './dist/host.js', 'linux', '/home/a/app') // throws: relative, use "/home/a/app/dist/host.js"
 */
export function checkPath(what: string, p: string, platform: Platform, cwd?: string): void {
  const path = pathFor(platform)
  if (!path.isAbsolute(p)) {
    const hint = cwd ? ` Use ${JSON.stringify(path.resolve(cwd, p))}.` : ''
    throw new UsageError(
      `${what} path ${JSON.stringify(p)} is relative; browsers start hosts from a folder of their own choosing, ` +
        `so it must be absolute.${hint}`,
    )
  }
  if (platform === 'win32' && CMD_HOSTILE.test(p)) {
    const c = CMD_HOSTILE.exec(p)![0]
    throw new UsageError(
      `${what} path ${JSON.stringify(p)} contains ${JSON.stringify(c)}, which cmd.exe (used by browsers to start ` +
        `the .cmd launcher) treats as a special character even inside quotes. Move it to a folder without %!^&|<>".`,
    )
  }
  if (platform !== 'win32' && p.includes('\n')) {
    throw new UsageError(
      `${what} path ${JSON.stringify(p)} contains a line break; move it to a plain folder.`,
    )
  }
}
