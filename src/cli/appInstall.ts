import { realpathSync } from 'node:fs'
import { UsageError } from '../node/install/errors.js'

/**
 * What `nmrpc install --app` registers instead of a host file: this nmrpc CLI, run as `nmrpc relay <name>`
 * (plus `--launch <command>` when given), so the browser starts the relay and the relay reaches the app.
 * Returns the `host` and `hostArgs` for the install plan.
 *
 * @example
 * appInstallTarget('com.acme.app', '/opt/acme/acme --tray')
 * // { host: '/usr/lib/node_modules/nmrpc/dist/cli/main.js',
 * //   hostArgs: ['relay', 'com.acme.app', '--launch', '/opt/acme/acme --tray', '--'] }
 */
export function appInstallTarget(
  name: string,
  launch: string | undefined,
  cli = process.argv[1],
): { host: string; hostArgs: string[] } {
  if (!cli)
    throw new Error('nmrpc install --app cannot tell where the nmrpc CLI is (process.argv[1] is empty)')
  const host = realpathSync(cli)
  if (/\.[cm]?ts$/.test(host))
    throw new UsageError(
      `nmrpc install --app registers the CLI that runs it, but that is the TypeScript source ${host}; ` +
        'run the built CLI (npx nmrpc, or node dist/cli/main.js) instead',
    )
  if (launch !== undefined && launch.trim() === '')
    throw new UsageError(
      'nmrpc install --launch needs the command that starts the app, e.g. --launch "/opt/acme/acme --tray"',
    )
  // "--" ends the relay's own options: whatever the browser appends is passed on verbatim.
  return { host, hostArgs: ['relay', name, ...(launch ? ['--launch', launch] : []), '--'] }
}
