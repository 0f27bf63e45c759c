/**
 * How a built host was started: by a browser (serve the host on stdio) or by a person at a terminal
 * (answer `--install`, `--doctor`, ...).
 *
 * Browsers always pass the caller as the first argument: Chromium `chrome-extension://ID/` (then
 * `--parent-window=N` on Windows), Firefox the manifest path and the add-on id. None of those starts with
 * `-`, so a first argument that does is a command for the built file. With no arguments at all, a terminal
 * on stdin means a person (who gets the help instead of a process silently waiting for framed input);
 * anything else (a pipe from `spawnHost`, a test) is served as a host.
 *
 * @example
 * launchMode(['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], false) // 'host'
 * launchMode(['--install'], true) // 'command'
 * launchMode([], true) // 'help'
 */
export function launchMode(argv: readonly string[], stdinIsTerminal: boolean): 'host' | 'command' | 'help' {
  const first = argv[0]
  if (first === undefined) return stdinIsTerminal ? 'help' : 'host'
  return first.startsWith('-') ? 'command' : 'host'
}
