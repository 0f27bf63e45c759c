import { describe, expectTypeOf, it } from 'vitest'
import {
  type CoreClientOptions,
  createClient,
  jsonCodec,
  type OneShotMode,
  oneShotMode,
} from '../src/client/core.js'
import type { ClientOptions } from '../src/client/index.js'

// nmrpc/client/core leaves out superjson, tracing and extension-side handlers, and has one-shot mode only
// through oneShotMode(): its options must say so at compile time, not only with the TypeError it throws at
// run time.
describe('CoreClientOptions', () => {
  it('requires a codec', () => {
    // @ts-expect-error: codec is required, so that superjson is bundled only when it is asked for
    createClient('com.acme.app', {})
    // @ts-expect-error: codec is required
    const none: CoreClientOptions = { timeout: 1000 }
    void none
    expectTypeOf<CoreClientOptions['codec']>().toEqualTypeOf<NonNullable<ClientOptions['codec']>>()
  })

  it('takes one-shot mode as oneShotMode(), not as the string of nmrpc/client', () => {
    const codec = jsonCodec()
    // @ts-expect-error: the string would need the one-shot code bundled whether it is used or not
    createClient('com.acme.app', { codec, mode: 'oneshot' })
    createClient('com.acme.app', { codec, mode: oneShotMode() })
    createClient('com.acme.app', { codec, mode: 'port' })
    expectTypeOf<CoreClientOptions['mode']>().toEqualTypeOf<'port' | OneShotMode | undefined>()
    expectTypeOf(oneShotMode()).toEqualTypeOf<OneShotMode>()
  })

  it('refuses trace and handlers, whose code it leaves out', () => {
    const codec = jsonCodec()
    // @ts-expect-error: tracing is only in nmrpc/client
    createClient('com.acme.app', { codec, trace: true })
    // @ts-expect-error: extension-side handlers are only in nmrpc/client
    createClient('com.acme.app', { codec, handlers: { ping: () => 'pong' } })
    expectTypeOf<CoreClientOptions>().not.toHaveProperty('trace')
    expectTypeOf<CoreClientOptions>().not.toHaveProperty('handlers')
  })

  it('keeps the other options of nmrpc/client', () => {
    const o: CoreClientOptions = { codec: jsonCodec(), timeout: 5000, streamWindow: 8 }
    expectTypeOf(o.timeout).toEqualTypeOf<ClientOptions['timeout']>()
    expectTypeOf(createClient('com.acme.app', o).close).toBeFunction()
  })
})
