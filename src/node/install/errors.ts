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

/**
 * An install that would register something no browser can start (a host file that does not exist, a node
 * that is not executable). Not a usage mistake: the CLI exits with status 1, and `force` overrides it.
 *
 * @example
 * throw new InstallRefused('Host /opt/acme/host.js does not exist ... pass --force to install anyway.')
 */
export class InstallRefused extends Error {
  override name = 'InstallRefused'
}
