import type { Family } from './browsers.js'

/**
 * What the extension is told by each browser when a host is broken in a given way: Chromium's
 * `runtime.lastError.message` in `onDisconnect`, Firefox's `port.error.message`. `null` means the Port closes
 * with no text at all (Firefox, for a host that exits); a code missing here is not a browser error (the
 * browser connects fine and nmrpc's own client reports it, or nothing fails yet).
 *
 * Seen in headless Chromium and Firefox ESR (BROWSERS.md) and asserted by test/e2e/doctor.test.ts. Firefox
 * has one text for every manifest it cannot use (it skips the file and finds no other), Chromium one for
 * every manifest it cannot use and one for an extension the manifest does not allow.
 */
const NOT_FOUND = 'Specified native messaging host not found.'
const FORBIDDEN = 'Access to the specified native messaging host is forbidden.'
const EXITED = 'Native host has exited.'
const IO_ERROR = 'Error when communicating with the native messaging host.'
const FF_NO_SUCH = (name: string) => `No such native application ${name}`
const FF_UNEXPECTED = 'An unexpected error occurred'

type Words = { chromium?: string | null; firefox?: (name: string) => string | null }

const NOT_USABLE: Words = { chromium: NOT_FOUND, firefox: FF_NO_SUCH }
const WORDS: Record<string, Words> = {
  'missing-manifest': NOT_USABLE,
  'manifest-elsewhere': NOT_USABLE,
  'registry-dangling': NOT_USABLE,
  'bad-json': NOT_USABLE,
  'name-mismatch': NOT_USABLE,
  'bad-type': NOT_USABLE,
  'no-path': NOT_USABLE,
  'relative-path': NOT_USABLE,
  'no-origins': NOT_USABLE,
  // Chromium refuses the whole manifest for one origin it cannot parse, so this is "not found", not "forbidden".
  'origin-no-slash': NOT_USABLE,
  'bad-origin': NOT_USABLE,
  'origin-missing': { chromium: FORBIDDEN },
  'no-extensions': NOT_USABLE,
  'extension-missing': NOT_USABLE,
  // Chromium checks that the file exists before starting it; Firefox fails in its process launcher.
  'path-missing': { chromium: NOT_FOUND, firefox: () => FF_UNEXPECTED },
  'path-not-file': { chromium: NOT_FOUND, firefox: () => FF_UNEXPECTED },
  'path-not-executable': { chromium: EXITED, firefox: () => FF_UNEXPECTED },
  'interpreter-missing': { chromium: EXITED, firefox: () => null },
  'interpreter-not-found': { chromium: EXITED, firefox: () => null },
  'needs-shell-path': { chromium: EXITED, firefox: () => null },
  'host-crashed': { chromium: EXITED, firefox: () => null },
  'spawn-failed': { chromium: EXITED, firefox: () => FF_UNEXPECTED },
  // The stray text's first 4 bytes read as a length; Firefox names that length, so it is given per case.
  'stray-stdout': { chromium: IO_ERROR },
}

/**
 * The exact error text the extension gets for finding `code` in a browser of `family`: a string, `null` for
 * a Port closed without any text, or `undefined` when this finding is not a browser error.
 *
 * @example
 * browserWords('host-crashed', 'chromium', 'com.acme.app') // 'Native host has exited.'
 * browserWords('host-crashed', 'firefox', 'com.acme.app')  // null
 */
export function browserWords(code: string, family: Family, name: string): string | null | undefined {
  const w = WORDS[code]
  if (!w) return undefined
  return family === 'chromium' ? w.chromium : w.firefox?.(name)
}

/** Firefox's words for stdout bytes that are not a frame: `length` is their first 4 bytes read as a length. */
export function firefoxStrayWords(length: number): string {
  return `Native application tried to send a message of ${length} bytes, which exceeds the limit of 1048576 bytes.`
}

/**
 * `message` with the browser's words added as a sentence, before the quoted stderr if there is one (so they
 * do not read as part of it).
 */
export function withBrowserWords(message: string, title: string, words: string | null | undefined): string {
  if (words === undefined) return message
  const sentence =
    words === null
      ? `${title} closes the Port with no error text at all.`
      : `In ${title} the extension sees "${words}"${/[.!?]$/.test(words) ? '' : '.'}`
  const at = message.indexOf(' Its stderr ends with: ')
  return at < 0 ? `${message} ${sentence}` : `${message.slice(0, at)} ${sentence}${message.slice(at)}`
}
