// Where an app listens, and the checks that keep other users away from it.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseRelayArgs } from '../src/cli/relayCommand.js'
import { appEndpoint, secureEndpointDir } from '../src/server/endpoint.js'
import { parseAnswer, parseHandshake } from '../src/server/relayHandshake.js'

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmrpc-endpoint-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('appEndpoint', () => {
  it('uses XDG_RUNTIME_DIR on Linux, a per-uid temp folder without it, TMPDIR on macOS, a pipe on Windows', () => {
    expect(
      appEndpoint('com.acme.app', { platform: 'linux', env: { XDG_RUNTIME_DIR: '/run/user/1000' } }),
    ).toEqual({
      kind: 'unix',
      path: '/run/user/1000/nmrpc/com.acme.app.sock',
      dir: '/run/user/1000/nmrpc',
    })
    expect(appEndpoint('com.acme.app', { platform: 'linux', env: {}, tmpdir: '/tmp', uid: 1000 })).toEqual({
      kind: 'unix',
      path: '/tmp/nmrpc-1000/com.acme.app.sock',
      dir: '/tmp/nmrpc-1000',
    })
    expect(
      appEndpoint('com.acme.app', {
        platform: 'darwin',
        env: { XDG_RUNTIME_DIR: '/x' },
        tmpdir: '/var/folders/ab/T',
      }).path,
    ).toBe('/var/folders/ab/T/nmrpc/com.acme.app.sock')
    expect(appEndpoint('com.acme.app', { platform: 'win32', env: {}, user: 'Jane Doe' })).toEqual({
      kind: 'pipe',
      path: '\\\\.\\pipe\\nmrpc-Jane_Doe-com.acme.app',
    })
  })

  it('refuses a name that is not a host name, and a socket path the OS cannot take', () => {
    expect(() => appEndpoint('../evil', { platform: 'linux', env: {} })).toThrow(
      'App name "../evil" is not a native messaging host name',
    )
    const long = `/run/${'x'.repeat(100)}`
    expect(() => appEndpoint('com.acme.app', { platform: 'linux', env: { XDG_RUNTIME_DIR: long } })).toThrow(
      /is 1\d\d bytes; linux allows at most 107\. Point XDG_RUNTIME_DIR/,
    )
  })
})

describe('secureEndpointDir', () => {
  it('makes the folder 0700, and tightens a looser one of ours', () => {
    const d = join(dir, 'a', 'nmrpc')
    expect(secureEndpointDir(d)).toBe(true)
    expect(lstatSync(d).mode & 0o777).toBe(0o700)
    chmodSync(d, 0o755)
    secureEndpointDir(d)
    expect(lstatSync(d).mode & 0o777).toBe(0o700)
  })

  it('only checks with create=false: missing is false, a loose mode is an error', () => {
    const d = join(dir, 'nmrpc')
    expect(secureEndpointDir(d, false)).toBe(false)
    mkdirSync(d, { mode: 0o755 })
    chmodSync(d, 0o755)
    expect(() => secureEndpointDir(d, false)).toThrow(/has mode 755; it must be 700/)
  })

  it('refuses a symlink and a folder another user owns (someone could have planted it)', () => {
    const target = join(dir, 'elsewhere')
    mkdirSync(target)
    const link = join(dir, 'link')
    symlinkSync(target, link)
    expect(() => secureEndpointDir(link)).toThrow(/is not a plain folder/)
    if (process.getuid?.() !== 0) return // chown to another user needs root
    const foreign = join(dir, 'foreign')
    mkdirSync(foreign, { mode: 0o700 })
    chownSync(foreign, 65534, 65534)
    expect(() => secureEndpointDir(foreign)).toThrow(
      `The app endpoint folder ${foreign} belongs to uid 65534, not to this user (uid 0)`,
    )
    expect(() => secureEndpointDir(foreign, false)).toThrow(/belongs to uid 65534/)
  })
})

describe('the relay handshake and arguments', () => {
  it('parses the relay options, then passes the browser arguments on verbatim', () => {
    expect(
      parseRelayArgs(['com.acme.app', '--launch', 'acme --tray', '--', '--parent-window=0', 'x']),
    ).toEqual({
      name: 'com.acme.app',
      launch: 'acme --tray',
      wait: 10_000,
      browserArgs: ['--parent-window=0', 'x'],
    })
    expect(parseRelayArgs(['com.acme.app', 'chrome-extension://abc/', '--launch', 'y'])).toMatchObject({
      launch: undefined,
      browserArgs: ['chrome-extension://abc/', '--launch', 'y'],
    })
    expect(() => parseRelayArgs(['com.acme.app', '--wait', 'soon'])).toThrow(
      '--wait "soon" is not a number of ms',
    )
  })

  it('refuses a handshake that is not one, naming the problem', () => {
    expect(parseHandshake([])).toBe('the handshake is not a JSON object')
    expect(parseHandshake({ t: 'hello', v: 1 })).toBe(
      'the first message is not a relay handshake (t is "hello")',
    )
    expect(parseHandshake({ t: 'relay', v: 2, argv: [] })).toMatch(/handshake version 2, this app 1/)
    expect(parseHandshake({ t: 'relay', v: 1, argv: [1] })).toMatch(
      /argv is not a list of at most 64 strings/,
    )
    expect(parseHandshake({ t: 'relay', v: 1, argv: [], pid: 7, handoff: true })).toMatchObject({
      handoff: true,
    })
    expect(parseAnswer({ t: 'relay-answer', mode: 'handoff' })).toEqual({
      t: 'relay-answer',
      mode: 'handoff',
    })
    expect(parseAnswer({ t: 'relay-end', code: 0, why: 'done' })).toEqual({
      t: 'relay-end',
      code: 0,
      why: 'done',
    })
    expect(parseAnswer({ t: 'relay-answer', mode: 'sideways' })).toMatch(
      /the app's answer is not a relay-answer or relay-end \(t is "relay-answer"\)/,
    )
    expect(parseHandshake({ t: 'relay', v: 1, argv: ['a'], pid: 7 })).toEqual({
      t: 'relay',
      v: 1,
      argv: ['a'],
      impl: undefined,
      pid: 7,
    })
  })
})
