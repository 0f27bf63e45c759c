import { inspect } from 'node:util'
import { createClient, RpcError } from '../client/index.js'
import { UsageError } from '../node/install/errors.js'
import { parseExtensionIds } from '../node/install/names.js'
import { currentInstallEnv } from '../node/install/platform.js'
import { spawnHost } from '../node/spawnHost.js'
import { type Io, parseCommandArgs } from './args.js'
import { HELP } from './help.js'
import { resolveHost } from './resolveHost.js'

/** `nmrpc call`: see HELP.call. Returns 0 on success, 1 when the call failed. */
export async function callCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(
    'call',
    argv,
    {
      browser: { type: 'string' },
      'extension-id': { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      trace: { type: 'boolean' },
    },
    true,
  )
  if (v.help) {
    io.out(HELP.call)
    return 0
  }
  const [target, method, ...rawArgs] = positionals
  if (!target || !method)
    throw new UsageError('nmrpc call needs <host> and <method.path>. See: nmrpc call --help')
  const args = rawArgs.map((a, i) => {
    try {
      return JSON.parse(a) as unknown
    } catch {
      throw new UsageError(
        `Argument ${i + 1} (${a}) is not JSON. Strings need JSON quotes, inside shell quotes: '${JSON.stringify(a)}'.`,
      )
    }
  })
  const timeout = v.timeout === undefined ? 30_000 : Number(v.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--timeout ${v.timeout} is not a number of milliseconds.`)
  if (v.browser !== undefined && v.browser !== 'chromium' && v.browser !== 'firefox') {
    throw new UsageError(`--browser ${v.browser} is not "chromium" or "firefox" (the argv to imitate).`)
  }

  const wanted = v.browser as 'chromium' | 'firefox' | undefined
  let host: ReturnType<typeof resolveHost>
  try {
    // --browser firefox means Firefox's manifest (its allowed_extensions, its path in argv), not the first found.
    host = resolveHost(target, currentInstallEnv(), wanted)
  } catch (e) {
    if (e instanceof UsageError || !v.json) throw e
    io.out(`${JSON.stringify({ code: 'HOST_NOT_FOUND', name: 'Error', message: (e as Error).message })}\n`)
    return 1
  }
  const browser = wanted ?? host.browser
  const given = v['extension-id'] ? parseExtensionIds([v['extension-id']]) : undefined
  const origin = given?.origins[0] ?? (browser === 'chromium' ? host.caller : undefined)
  const extensionId = given?.geckoIds[0] ?? (browser === 'firefox' ? host.caller : undefined)
  const factory = spawnHost(host.command, host.args, {
    browser,
    // Quiet by default: a failure's message already quotes the end of the host's stderr.
    stderr: v.verbose ? 'inherit' : 'pipe',
    hostName: host.label,
    ...(origin ? { origin } : {}),
    ...(extensionId ? { extensionId } : {}),
    ...(host.manifestPath ? { manifestPath: host.manifestPath } : {}),
  })
  const client = createClient<unknown>(factory, {
    timeout,
    ...(v.trace ? { trace: (line: string) => io.err(`${line}\n`) } : {}),
  })
  let helloTimer: NodeJS.Timeout | undefined
  try {
    // A host that never says hello (not nmrpc, or stuck starting) should fail fast, not after the call timeout.
    const silent = new Promise<never>((_, reject) => {
      helloTimer = setTimeout(
        () =>
          reject(
            new RpcError(
              'TIMEOUT',
              `host ${host.label} did not answer the nmrpc hello within 10 s; run nmrpc doctor to see why`,
            ),
          ),
        Math.min(10_000, timeout),
      )
    })
    await Promise.race([client.connect(), silent])
    clearTimeout(helloTimer)
    let fn: unknown = client.call
    for (const part of method.split('.')) fn = (fn as Record<string, unknown>)[part]
    if (typeof fn !== 'function')
      throw new UsageError(`${method} is not a method path like "ping" or "fs.read".`)
    const value: unknown = await (fn as (...a: unknown[]) => unknown)(...args)
    const show = v.json ? toJson : format
    if (isAsyncIterable(value)) {
      for await (const item of value) io.out(`${show(item)}\n`)
    } else io.out(`${show(value)}\n`)
    return 0
  } catch (e) {
    if (e instanceof UsageError) throw e
    if (e instanceof RpcError && v.json) {
      const data = e.data === undefined ? {} : { data: JSON.parse(toJson(e.data)) as unknown }
      io.out(`${JSON.stringify({ code: e.code, name: e.name, message: e.message, ...data })}\n`)
      return 1
    }
    if (e instanceof RpcError) {
      const name = e.name !== 'RpcError' && e.name !== 'Error' ? `${e.name}: ` : ''
      io.err(`nmrpc call ${method}: ${name}${e.message} [${e.code}]\n`)
      return 1
    }
    throw e
  } finally {
    clearTimeout(helloTimer)
    client.close()
  }
}

/**
 * Strict JSON for --json, whatever the codec brought back: Dates as ISO strings (their toJSON), BigInts as
 * decimal strings, Maps as objects (or entry lists when a key is not a string), Sets and typed arrays as
 * arrays, undefined as null, so a script can always parse the line.
 */
function toJson(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString()
      if (x instanceof Map) {
        const entries = [...x.entries()]
        return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : entries
      }
      if (x instanceof Set) return [...x]
      if (ArrayBuffer.isView(x)) return [...new Uint8Array(x.buffer, x.byteOffset, x.byteLength)]
      if (x instanceof ArrayBuffer) return [...new Uint8Array(x)]
      if (x instanceof RegExp) return x.toString()
      return x === undefined ? null : x
    }) ?? 'null'
  )
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  )
}

/** JSON when the value is plain JSON; else Node's inspect (Dates, Maps, BigInts, bytes survive the codec). */
function format(v: unknown): string {
  return isPlainJson(v, 0)
    ? JSON.stringify(v)
    : inspect(v, { depth: 8, breakLength: Number.POSITIVE_INFINITY })
}

function isPlainJson(v: unknown, depth: number): boolean {
  if (depth > 64) return false
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every((x) => isPlainJson(x, depth + 1))
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as object).every((x) => x !== undefined && isPlainJson(x, depth + 1))
  }
  return false
}
