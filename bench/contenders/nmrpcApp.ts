import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { BenchAppHost } from '../hosts/nmrpcApp'
import { type BenchSession, hostArgs, hostNode } from '../lib/session'

/**
 * The nmrpc app-mode contender: the host runs as an app (`serve()`), started first; the client reaches it
 * through the built `nmrpc relay` started by `spawnHost`, exactly as a browser starts it. Compared with
 * the `nmrpc` contender (the same handlers over stdio), it measures what the relay's extra hop costs.
 *
 * @example
 * const session = await startNmrpcApp('.tmp/bench/hosts/nmrpcApp.mjs')
 */
export async function startNmrpcApp(
  hostScript: string,
  opts: { copy?: boolean } = {},
): Promise<BenchSession> {
  const { createClient } = await import('nmrpc/client')
  const { spawnHost } = await import('nmrpc/node')
  const xdg = mkdtempSync(join(tmpdir(), 'nmrpc-bench-app-'))
  const name = 'com.nmrpc.bench'
  // copy: the relay does not offer its pipes, so it copies bytes as on macOS and Windows.
  const env = {
    ...process.env,
    XDG_RUNTIME_DIR: xdg,
    BENCH_APP_NAME: name,
    ...(opts.copy ? { NMRPC_RELAY_COPY: '1' } : {}),
  }
  const app = spawn(hostNode(), hostArgs(hostScript), { env, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    app.stdout!.setEncoding('utf8').once('data', () => resolve())
    app.once('exit', (code) => reject(new Error(`bench app exited with ${code} before it was ready`)))
  })
  // The snapshot of the built package that the bench installs next to the bundles.
  const cli = join(dirname(hostScript), '..', 'node_modules', 'nmrpc', 'dist', 'cli', 'main.js')
  const client = createClient<BenchAppHost>(
    spawnHost(process.execPath, [cli, 'relay', name], { env, stderr: 'inherit', hostName: 'nmrpc relay' }),
  )
  await client.connect()
  const pid = app.pid!
  return {
    hostPid: pid,
    add: (a, b) => client.call.add(a, b),
    echo: (text) => client.call.echo(text),
    bytes: (length) => client.call.bytes(length),
    async stream(total, item) {
      let received = 0
      for await (const data of client.call.stream(total, item)) received += data.length
      return received
    },
    maxInbound: () => undefined,
    close: async () => {
      client.close()
      app.kill('SIGTERM')
      await new Promise((resolve) => {
        if (app.exitCode !== null) resolve(undefined)
        app.once('exit', resolve)
        setTimeout(() => app.kill('SIGKILL'), 2_000).unref()
      })
      rmSync(xdg, { recursive: true, force: true })
    },
  }
}
