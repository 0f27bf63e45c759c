import { describe, expect, it } from 'vitest'
import { describeDisconnect } from '../src/client/portTransport.js'

// The browsers' own words, as seen in Chromium 156 and Firefox ESR 153 (see shared BROWSERS.md).
describe('describeDisconnect turns browser messages into a code and a fix', () => {
  it('Chromium: host not registered', () => {
    expect(
      describeDisconnect('com.acme.app', 'Specified native messaging host not found.'),
    ).toMatchInlineSnapshot(`
      {
        "code": "HOST_NOT_FOUND",
        "message": "native host "com.acme.app" disconnected: Specified native messaging host not found. (the browser found no usable manifest for "com.acme.app". Browsers say this when: there is no manifest where this browser looks (register it with \`nmrpc install --name com.acme.app --host <path> --extension-id <id>\`; one in another browser's folder, say Google Chrome's while running Chromium, or the usual folder while running with --user-data-dir, does not count); the manifest is not valid JSON; its "name" is not "com.acme.app"; its "path" is relative or missing; an "allowed_origins" entry lacks its trailing slash (chrome-extension://<id>/); in Firefox, "allowed_extensions" does not list this extension. Run \`nmrpc doctor --name com.acme.app\` to see which one)",
      }
    `)
  })

  it('Firefox: host not registered', () => {
    expect(describeDisconnect('com.acme.app', 'No such native application com.acme.app').code).toBe(
      'HOST_NOT_FOUND',
    )
  })

  it('Chromium: forbidden', () => {
    expect(
      describeDisconnect('com.acme.app', 'Access to the specified native messaging host is forbidden.'),
    ).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('"allowed_origins" (Chromium) or "allowed_extensions" (Firefox)'),
    })
  })

  it('Chromium: host exited, with a doctor hint only for registered names', () => {
    expect(describeDisconnect('com.acme.app', 'Native host has exited.')).toMatchInlineSnapshot(`
      {
        "code": "DISCONNECTED",
        "message": "native host "com.acme.app" disconnected: Native host has exited. (the host process ended (it crashed, exited, or could not start); run \`nmrpc doctor --name com.acme.app\` to see its stderr)",
      }
    `)
    expect(describeDisconnect('host.ts', 'Native host has exited.', false).message).toContain(
      'run `nmrpc doctor` to see',
    )
  })

  it('over the 1 MiB limit, in both browsers', () => {
    for (const said of [
      'Error when communicating with the native messaging host.',
      'Native application tried to send a message of 1048577 bytes, which exceeds the limit of 1048576 bytes.',
    ]) {
      const d = describeDisconnect('com.acme.app', said)
      expect(d.code).toBe('DISCONNECTED')
      expect(d.message).toContain(said)
      expect(d.message).toContain('not a framed message (stray stdout?) or a message over 1 MiB')
    }
  })

  it('no reason at all', () => {
    expect(describeDisconnect('com.acme.app', undefined).message).toBe(
      'native host "com.acme.app" disconnected: the Port closed without giving a reason (run `nmrpc doctor --name com.acme.app` to check the host)',
    )
  })
})
