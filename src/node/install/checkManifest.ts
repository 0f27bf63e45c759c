import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import type { Family } from './browsers.js'
import type { Finding } from './hostFindings.js'
import { type InstallEnv, pathFor } from './platform.js'

/**
 * The static checks of one manifest file (JSON, name, type, path, origins or ids). Exported for tests and
 * tools; {@link doctor} runs it on the file each browser would read.
 *
 * @example
 * checkManifest('/x/com.acme.app.json', text, 'com.acme.app', 'chromium', { origins: [], geckoIds: [] }, env)
 */
export function checkManifest(
  file: string,
  text: string,
  name: string,
  family: Family,
  ids: { origins: string[]; geckoIds: string[] },
  ienv: InstallEnv,
): { manifest?: Record<string, unknown>; findings: Finding[] } {
  const findings: Finding[] = []
  const err = (code: string, message: string, fix: string) =>
    findings.push({ level: 'error', code, message, fix })
  const reinstall = `nmrpc install --name ${name} ... rewrites it.`
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    err('bad-json', `${file} is not valid JSON: ${(e as Error).message}.`, `Fix the JSON, or ${reinstall}`)
    return { findings }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    err('bad-json', `${file} holds JSON but not an object.`, reinstall)
    return { findings }
  }
  const m = data as Record<string, unknown>
  if (m.name !== name) {
    err(
      'name-mismatch',
      `${file} has "name": ${JSON.stringify(m.name)}, but the browser asked for "${name}".`,
      `Set "name": "${name}".`,
    )
  }
  if (m.type !== 'stdio')
    err('bad-type', `${file} has "type": ${JSON.stringify(m.type)}.`, 'Set "type": "stdio".')

  const p = pathFor(ienv.platform)
  if (typeof m.path !== 'string' || m.path === '') {
    err('no-path', `${file} has no "path".`, 'Set "path" to the absolute path of the launcher.')
  } else if (!p.isAbsolute(m.path) && ienv.platform !== 'win32') {
    err(
      'relative-path',
      `"path" ${JSON.stringify(m.path)} in ${file} is relative; browsers on ${ienv.platform} require an absolute path.`,
      `Use the absolute path, or ${reinstall}`,
    )
  }

  if (family === 'chromium') {
    const origins = m.allowed_origins
    if (!Array.isArray(origins) || origins.length === 0) {
      const hint = Array.isArray(m.allowed_extensions)
        ? ' It has "allowed_extensions", which only Firefox reads.'
        : ''
      err(
        'no-origins',
        `${file} has no "allowed_origins", so no Chromium extension may connect.${hint}`,
        'Add "allowed_origins": ["chrome-extension://<id>/"].',
      )
    } else {
      for (const origin of origins) {
        if (typeof origin === 'string' && /^chrome-extension:\/\/[a-p]{32}$/.test(origin)) {
          err(
            'origin-no-slash',
            `allowed_origins entry "${origin}" lacks the trailing slash; Chromium matches origins exactly and ignores it.`,
            `Write "${origin}/".`,
          )
        } else if (typeof origin !== 'string' || !/^chrome-extension:\/\/[a-p]{32}\/$/.test(origin)) {
          err(
            'bad-origin',
            `allowed_origins entry ${JSON.stringify(origin)} is not "chrome-extension://<32 letters a-p>/" (wildcards are not allowed).`,
            'Use the id shown on chrome://extensions.',
          )
        }
      }
      for (const want of ids.origins) {
        // Listed without its slash: origin-no-slash above is the one cause, not a second error.
        if (!origins.includes(want) && !origins.includes(want.replace(/\/$/, '')))
          err(
            'origin-missing',
            `${file} does not allow ${want}.`,
            `Add "${want}" to allowed_origins, or ${reinstall}`,
          )
      }
    }
  } else {
    const exts = m.allowed_extensions
    if (!Array.isArray(exts) || exts.length === 0) {
      const hint = Array.isArray(m.allowed_origins)
        ? ' It has "allowed_origins", which only Chromium reads.'
        : ''
      err(
        'no-extensions',
        `${file} has no "allowed_extensions", so no Firefox add-on may connect.${hint}`,
        'Add "allowed_extensions": ["<gecko id>"].',
      )
    } else {
      for (const want of ids.geckoIds) {
        if (!exts.includes(want))
          err(
            'extension-missing',
            `${file} does not allow ${want}.`,
            `Add "${want}" to allowed_extensions, or ${reinstall}`,
          )
      }
    }
  }
  return { manifest: m, findings }
}

/** Checks the launcher file itself (exists, executable); async, so kept apart from {@link checkManifest}. */
export async function checkHostPath(hostPath: string, platform: string): Promise<Finding[]> {
  const s = await stat(hostPath).catch(() => undefined)
  if (!s) {
    return [
      {
        level: 'error',
        code: 'path-missing',
        message: `Host path ${hostPath} does not exist.`,
        fix: 'Run nmrpc install again, or point "path" at the launcher.',
      },
    ]
  }
  if (!s.isFile())
    return [
      {
        level: 'error',
        code: 'path-not-file',
        message: `Host path ${hostPath} is not a file.`,
        fix: 'Point "path" at the launcher file.',
      },
    ]
  if (platform !== 'win32') {
    const ok = await access(hostPath, constants.X_OK).then(
      () => true,
      () => false,
    )
    if (!ok)
      return [
        {
          level: 'error',
          code: 'path-not-executable',
          message: `Host path ${hostPath} is not executable.`,
          fix: `chmod +x '${hostPath}'`,
        },
      ]
  }
  return []
}
