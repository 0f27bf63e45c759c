import type { Codec } from '../shared/codec.js'
import type { ApiOf, EventMap, EventsOf } from '../shared/types.js'
import { type Client, type ClientOptions, checkTarget, NativeClient } from './createClient.js'
import { oneShotCall } from './oneShot.js'
import type { PortFactory } from './port.js'

export * from './index.js'

/**
 * One-shot mode for a core client, as `mode: 'oneshot'` is in `nmrpc/client`: every call starts the host
 * anew (`runtime.sendNativeMessage`). Made by {@link oneShotMode}, so that a bundle carries its code only
 * when it is used.
 */
export interface OneShotMode {
  readonly mode: 'oneshot'
  /** @internal */
  readonly call: typeof oneShotCall
}

/**
 * `createClient(name, { codec, mode: oneShotMode() })`: a core client whose every call starts the host anew
 * and that exits after answering (see `mode` in `nmrpc/client`'s options: no streams, events or
 * host-to-extension calls, and a result must fit in one message). The one-shot code is bundled only where
 * this function is called.
 *
 * @example
 * import { createClient, jsonCodec, oneShotMode } from 'nmrpc/client/core'
 * const client = createClient<Host>('com.acme.app', { codec: jsonCodec(), mode: oneShotMode() })
 * const sum = await client.call.add(1, 2) // starts the host, which answers and exits
 */
export function oneShotMode(): OneShotMode {
  return { mode: 'oneshot', call: oneShotCall }
}

/**
 * What `createClient` from `nmrpc/client/core` takes: the options of `nmrpc/client` with `codec`
 * required, `mode` given as `oneShotMode()` rather than `'oneshot'`, and without `trace` and `handlers`,
 * whose code a core client leaves out.
 */
export type CoreClientOptions = Omit<ClientOptions, 'codec' | 'mode' | 'trace' | 'handlers'> & {
  codec: Codec
  /**
   * `'port'`: one long-lived connection. `oneShotMode()`: every call starts the host anew (its code is
   * bundled only when you pass it).
   * @default 'port'
   */
  mode?: 'port' | OneShotMode
}

/**
 * A client with only what a port connection needs, for a bundle that must stay small (an MV3 service
 * worker cannot load code later with `import()`): the codec is given explicitly, so superjson is bundled
 * only if you pass `superjsonCodec()`, and one-shot mode only if you pass `mode: oneShotMode()`; tracing
 * and extension-side handlers are not in it (use `createClient` from `nmrpc/client` for those). Calls,
 * streams, events, middleware and reconnect work as in `nmrpc/client`.
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
  const oneShot = typeof options.mode === 'object' ? options.mode : undefined
  // A string 'oneshot' (untyped code) reaches NativeClient as it is, which refuses it naming oneShotMode().
  return new NativeClient(
    target,
    { ...options, mode: oneShot ? 'oneshot' : (options.mode as ClientOptions['mode']) },
    { oneShot: oneShot?.call },
  ) as unknown as Client<ApiOf<Host>, Events>
}
