import { describe, expectTypeOf, it } from 'vitest'
import { type CoreClientOptions, createClient, jsonCodec } from '../src/client/core.js'
import type { ClientOptions } from '../src/client/index.js'

// nmrpc/client/core leaves out superjson, one-shot mode, tracing and extension-side handlers: its options
// must say so at compile time, not only with the TypeError it throws at run time.
describe('CoreClientOptions', () => {
  it('requires a codec', () => {
    // @ts-expect-error: codec is required, so that superjson is bundled only when it is asked for
    createClient('com.acme.app', {})
    // @ts-expect-error: codec is required
    const none: CoreClientOptions = { timeout: 1000 }
    void none
    expectTypeOf<CoreClientOptions['codec']>().toEqualTypeOf<NonNullable<ClientOptions['codec']>>()
  })

  it('refuses mode, trace and handlers, whose code it leaves out', () => {
    const codec = jsonCodec()
    // @ts-expect-error: one-shot mode is only in nmrpc/client
    createClient('com.acme.app', { codec, mode: 'oneshot' })
    // @ts-expect-error: tracing is only in nmrpc/client
    createClient('com.acme.app', { codec, trace: true })
    // @ts-expect-error: extension-side handlers are only in nmrpc/client
    createClient('com.acme.app', { codec, handlers: { ping: () => 'pong' } })
    expectTypeOf<CoreClientOptions>().not.toHaveProperty('mode')
    expectTypeOf<CoreClientOptions>().not.toHaveProperty('trace')
    expectTypeOf<CoreClientOptions>().not.toHaveProperty('handlers')
  })

  it('keeps the other options of nmrpc/client', () => {
    const o: CoreClientOptions = { codec: jsonCodec(), timeout: 5000, streamWindow: 8 }
    expectTypeOf(o.timeout).toEqualTypeOf<ClientOptions['timeout']>()
    expectTypeOf(createClient('com.acme.app', o).close).toBeFunction()
  })
})
