import type { Codec } from '../shared/codec.js'
import type { ApiOf, EventMap, EventsOf } from '../shared/types.js'
import { type Client, type ClientOptions, checkTarget, NativeClient } from './createClient.js'
import type { PortFactory } from './port.js'

export * from './index.js'

/**
 * What `createClient` from `nmrpc/client/core` takes: the options of `nmrpc/client` with `codec`
 * required, and without `mode`, `trace` and `handlers`, whose code a core client leaves out.
 */
export type CoreClientOptions = Omit<ClientOptions, 'codec' | 'mode' | 'trace' | 'handlers'> & {
  codec: Codec
}

/**
 * A client with only what a port connection needs, for a bundle that must stay small (an MV3 service
 * worker cannot load code later with `import()`): the codec is given explicitly, so superjson is bundled
 * only if you pass `superjsonCodec()`; one-shot mode, tracing and extension-side handlers are not in it
 * (use `createClient` from `nmrpc/client` for those). Calls, streams, events, middleware and reconnect
 * work as in `nmrpc/client`.
 *
 * @example
 * import { createClient, jsonCodec } from 'nmrpc/client/core'
 * import type { Host } from '../host/host'
 * const client = createClient<Host>('com.acme.app', { codec: jsonCodec() })
 * const sum = await client.call.add(1, 2)
 */
export function createClient<Host, Events extends EventMap = EventsOf<Host>>(
  target: string | PortFactory,
  options: CoreClientOptions,
): Client<ApiOf<Host>, Events> {
  checkTarget(target)
  return new NativeClient(target, options, {}) as unknown as Client<ApiOf<Host>, Events>
}
