import { describe, expect, it } from 'vitest'
import { launchMode } from '../../src/build/launchMode.js'

describe('launchMode: browser launch or a person at a terminal', () => {
  it.each([
    // What browsers pass (BROWSERS.md): Chromium's origin (and --parent-window on Windows), Firefox's manifest + id.
    [['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], false, 'host'],
    [['chrome-extension://abcdefghijklmnopabcdefghijklmnop/', '--parent-window=0'], false, 'host'],
    [['/home/a/.mozilla/native-messaging-hosts/com.acme.app.json', 'app@acme.com'], false, 'host'],
    [['C:\\Users\\a\\AppData\\Local\\nmrpc\\com.acme.app\\firefox.json', 'app@acme.com'], false, 'host'],
    // Even from a terminal, browser-shaped arguments serve: that is how a person tests the host by hand.
    [['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], true, 'host'],
    [['--install'], true, 'command'],
    [['--install', '--browser', 'firefox'], false, 'command'],
    [['--nonsense'], true, 'command'],
    [['-h'], true, 'command'],
    // No arguments: a terminal gets the help, never a process silently waiting for frames; a pipe is served.
    [[], true, 'help'],
    [[], false, 'host'],
  ] as const)('%j on a terminal: %s -> %s', (argv, tty, mode) => {
    expect(launchMode(argv, tty)).toBe(mode)
  })
})
