import { afterEach, describe, expect, it } from 'vitest'
import { eventually, isAlive, startFixture } from './helpers.js'

let fixture: ReturnType<typeof startFixture>
afterEach(() => fixture?.dispose())

const ALLOWED = 'knldjmfmopnpolahpmmgbagdohdnhkik'

describe('allowedCallers', () => {
  it('serves an allowed extension (origin or bare id in the list)', async () => {
    fixture = startFixture({
      env: { NMRPC_ALLOWED: `chrome-extension://${ALLOWED}/,other@example.org` },
      spawn: { origin: `chrome-extension://${ALLOWED}/` },
    })
    expect(await fixture.client.call.ping()).toBe('pong')
    fixture.dispose()
    fixture = startFixture({
      env: { NMRPC_ALLOWED: `${ALLOWED},other@example.org` },
      spawn: { browser: 'firefox', extensionId: 'other@example.org' },
    })
    expect(await fixture.client.call.ping()).toBe('pong')
  })

  it('refuses any other caller with UNAUTHORIZED, says why on stderr, and exits', async () => {
    fixture = startFixture({ env: { NMRPC_ALLOWED: ALLOWED } })
    const err = await fixture.client.call.ping().catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      message:
        `Call to "ping" refused: host "host.ts" does not accept calls from chrome-extension://${'a'.repeat(32)}/: ` +
        `it is not in allowedCallers (${ALLOWED}); add the extension's id to allowedCallers in defineHost's options`,
    })
    await eventually(() => !isAlive(fixture.pids[0]!), 'the refusing host to exit')
    expect(fixture.ports[0]!.stderr).toContain('nmrpc: host "host.ts" does not accept calls from')
  })
})
