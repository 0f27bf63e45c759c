import { describe, expect, it } from 'vitest'
import { createClient, RpcError } from '../../src/client/index.js'

// Node has no `chrome` or `browser` global: the same as a web page or a content script without the API.
describe('createClient by name where there is no extension API', () => {
  it('fails the call with DISCONNECTED and one plain sentence that says what to do', async () => {
    const client = createClient<{ ping(): string }>('com.acme.app')
    const call = client.call.ping()
    await expect(call).rejects.toThrow(RpcError)
    const e = (await call.catch((err: unknown) => err)) as RpcError
    expect(e.code).toBe('DISCONNECTED')
    expect(e.message).toMatchInlineSnapshot(
      `"Call to "ping" failed: no extension API here (runtime.connectNative is missing), so native host "com.acme.app" cannot be started. Use nmrpc/client in an extension page or service worker whose manifest has the "nativeMessaging" permission, or pass a port factory (e.g. spawnHost(...) from 'nmrpc/node')"`,
    )
    expect(e.message).not.toMatch(/connect.*connect/)
    client.close()
  })
})
