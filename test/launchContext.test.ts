import { describe, expect, it } from 'vitest'
import { parseLaunchContext } from '../src/server/launchContext.js'

describe('parseLaunchContext reads who started the host from argv', () => {
  it('Chromium on Linux and macOS: the origin', () => {
    expect(parseLaunchContext(['chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/'])).toEqual({
      browser: 'chromium',
      origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/',
      extensionId: 'knldjmfmopnpolahpmmgbagdohdnhkik',
      argv: ['chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/'],
    })
  })

  it('Chromium on Windows: the origin and the parent window handle', () => {
    const argv = ['chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/', '--parent-window=6684784']
    expect(parseLaunchContext(argv)).toMatchObject({
      browser: 'chromium',
      extensionId: 'knldjmfmopnpolahpmmgbagdohdnhkik',
      parentWindow: '6684784',
    })
  })

  it('Firefox: the manifest path and the add-on id', () => {
    expect(
      parseLaunchContext(['/home/u/.mozilla/native-messaging-hosts/com.acme.app.json', 'ping@example.org']),
    ).toEqual({
      browser: 'firefox',
      manifestPath: '/home/u/.mozilla/native-messaging-hosts/com.acme.app.json',
      extensionId: 'ping@example.org',
      argv: ['/home/u/.mozilla/native-messaging-hosts/com.acme.app.json', 'ping@example.org'],
    })
    expect(
      parseLaunchContext(['C:\\Users\\u\\com.acme.app.json', '{d3b9a8e2-1c3f-4b6a-9e0f-123456789abc}']),
    ).toMatchObject({
      browser: 'firefox',
      extensionId: '{d3b9a8e2-1c3f-4b6a-9e0f-123456789abc}',
    })
  })

  it('anything else: unknown, with the raw arguments kept', () => {
    expect(parseLaunchContext([])).toEqual({ browser: 'unknown', argv: [] })
    expect(parseLaunchContext(['chrome-extension://not-an-id/'])).toEqual({
      browser: 'unknown',
      argv: ['chrome-extension://not-an-id/'],
    })
  })
})
