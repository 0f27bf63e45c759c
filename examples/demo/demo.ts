// `npm run demo`: starts the host in ./host.ts as a real child process, framed exactly as a browser frames
// native messaging, and calls it with the same client an extension uses.
import { fileURLToPath } from 'node:url'
import { createClient, RpcError } from 'nmrpc/client'
import { spawnHost } from 'nmrpc/node'
import type { Host } from './host.js'

const hostScript = fileURLToPath(new URL('./host.ts', import.meta.url))
const client = createClient<Host>(
  spawnHost(process.execPath, ['--import', 'tsx', hostScript], {
    origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/',
  }),
)

const show = (what: string, value: unknown) => console.log(`${what.padEnd(38)} ->`, value)

const info = await client.connect()
show('connect()', info)
show('ping()', await client.call.ping())
show('add(1, 2)', await client.call.add(1, 2))
show('math.div(1, 4)', await client.call.math.div(1, 4))
const when = await client.call.when()
show('when() is a real Date', `${when instanceof Date} (${when.toISOString()})`)

try {
  await client.call.math.div(1, 0)
} catch (e) {
  if (e instanceof RpcError) show('math.div(1, 0) rejects', `RpcError ${e.name} [${e.code}]: ${e.message}`)
}

try {
  await client.with({ timeout: 100 }).call.slow(5_000)
} catch (e) {
  if (e instanceof RpcError) show('with({ timeout: 100 }).slow(5000)', `[${e.code}] ${e.message}`)
}

const ac = new AbortController()
setTimeout(() => ac.abort(new Error('changed my mind')), 50)
try {
  await client.with({ signal: ac.signal }).call.slow(5_000)
} catch (e) {
  if (e instanceof RpcError) show('with({ signal }).slow(5000), aborted', `[${e.code}] ${e.message}`)
}
show('slow(10)', await client.call.slow(10))

const seen: number[] = []
for await (const n of client.call.countdown(5)) seen.push(n)
show('for await (countdown(5))', seen)

const big = await client.call.bytes(5 * 1024 * 1024)
show('bytes(5 MiB), sent in binary parts', `${big.constructor.name} of ${big.length} bytes`)

client.close()
console.log('\nAll done. See README.md for writing your own host and extension.')
