/**
 * Who started this host, as the browser says on the command line. Chromium-family browsers pass the
 * calling extension's origin (`chrome-extension://ID/`) and on Windows `--parent-window=HWND`; Firefox
 * passes the path of the host manifest and the calling add-on's id.
 */
export interface LaunchContext {
  /** Which family of browser started the host, judged from argv. */
  browser: 'chromium' | 'firefox' | 'unknown'
  /** Chromium: the caller's origin, e.g. `chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/`. */
  origin?: string
  /** The calling extension: Chromium's 32-letter id, or Firefox's add-on id (`ping@example.org`). */
  extensionId?: string
  /** Firefox: the absolute path of the host manifest the browser read. */
  manifestPath?: string
  /** Chromium on Windows: the native window handle of the calling browser window, for dialogs. */
  parentWindow?: string
  /** The raw arguments after the script, as given. */
  argv: readonly string[]
}

const CHROMIUM_ORIGIN = /^chrome-extension:\/\/([a-p]{32})\/?$/

/**
 * The piece size for a host whose browser is Firefox, which hands every message from a host through its
 * parent process's JavaScript (NativeMessaging.sys.mjs) to the extension: a cost per message that made
 * 64 KiB pieces slow there. A 10 MiB result in Firefox, median of 15 (test/e2e, 2026-12-03): 348-360 ms in
 * 64 KiB pieces, 216-223 ms in 256 KiB, 206 ms in 1 MiB; Chromium 201-213, 211-227 and 273 ms.
 */
export const FIREFOX_PIECE_BYTES = 256 * 1024

/**
 * The piece size a host's transport uses toward `browser` (see Transport.pieceBytes): undefined, the
 * outbox's own 64 KiB, for all but Firefox.
 */
export function pieceBytesFor(browser: LaunchContext['browser']): number | undefined {
  return browser === 'firefox' ? FIREFOX_PIECE_BYTES : undefined
}

/**
 * Parses the launch arguments (`process.argv.slice(2)` by default).
 *
 * @example
 * parseLaunchContext(['chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/'])
 * // { browser: 'chromium', origin: 'chrome-extension://knldjmfmopnpolahpmmgbagdohdnhkik/', extensionId: 'knld…' }
 */
export function parseLaunchContext(argv: readonly string[] = process.argv.slice(2)): LaunchContext {
  const ctx: LaunchContext = { browser: 'unknown', argv }
  for (const arg of argv) {
    const m = CHROMIUM_ORIGIN.exec(arg)
    if (m) {
      ctx.browser = 'chromium'
      ctx.origin = arg.endsWith('/') ? arg : `${arg}/`
      ctx.extensionId = m[1]
    } else if (arg.startsWith('--parent-window=')) {
      ctx.parentWindow = arg.slice('--parent-window='.length)
    }
  }
  if (ctx.browser === 'unknown' && argv.length >= 2 && /\.json$/i.test(argv[0]!)) {
    ctx.browser = 'firefox'
    ctx.manifestPath = argv[0]
    ctx.extensionId = argv[1]
  }
  return ctx
}
