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
        "message": "native host "com.acme.app" disconnected: Specified native messaging host not found. (the browser found no usable native messaging host "com.acme.app": register it (\`nmrpc install --name com.acme.app --host <path> --extension-id <id>\`), check that the manifest's "name" matches and its "path" exists (Chromium says "not found" for a missing path too); Firefox also says this when "allowed_extensions" does not list this extension)",
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
