/**
 * A mistake in what the user asked for (a bad host name, a relative path, an unknown browser). The CLI prints
 * its message alone, without a stack trace, and exits with status 2.
 *
 * @example
 * throw new UsageError('Unknown browser "chorme". Known: chrome, chromium, firefox, ...')
 */
export class UsageError extends Error {
  override name = 'UsageError'
}
