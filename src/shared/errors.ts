import type { WireError } from './protocol.js'

/**
 * Codes nmrpc itself produces. A handler's thrown error keeps its own string `code` (e.g. Node's
 * `ENOENT`), so `RpcError#code` is this union or any other string.
 */
export const RPC_ERROR_CODES = [
  /** The remote handler threw an error without a string `code`. */
  'HANDLER_ERROR',
  /** No method at that path. */
  'NOT_FOUND',
  /** The arguments could not be decoded or failed validation. */
  'BAD_REQUEST',
  /** No reply within the call's timeout. */
  'TIMEOUT',
  /** The caller's AbortSignal fired. */
  'ABORTED',
  /** The other side cancelled (its consumer stopped, or it is shutting down). */
  'CANCELLED',
  /** The Port closed or the host process exited. */
  'DISCONNECTED',
  /** The browser does not know a native host by that name. */
  'HOST_NOT_FOUND',
  /** The browser refused this extension access to the host (allowed_origins / allowed_extensions). */
  'FORBIDDEN',
  /** `close()` was called on this end. */
  'CLOSED',
  /** The other end sent something that is not valid protocol. */
  'PROTOCOL_ERROR',
  /** The two ends speak different protocol versions. */
  'VERSION_MISMATCH',
  /** A message exceeded a size limit. */
  'TOO_LARGE',
  /** A count limit (pending calls, streams) was reached. */
  'LIMIT_EXCEEDED',
  /** The host refused this caller. */
  'UNAUTHORIZED',
  /** A unary result was iterated as a stream. */
  'NOT_A_STREAM',
  /** App mode: the relay found no running app at the app's endpoint (and could not start it). */
  'APP_NOT_RUNNING',
] as const

export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number]

export interface RpcErrorOptions<Data> {
  /** The remote error's name (e.g. `RangeError`); defaults to `RpcError`. */
  name?: string
  data?: Data
  cause?: unknown
  /** The remote stack, when the host opted in to sending stacks. */
  remoteStack?: string
}

/** Marks every RpcError, from any copy of nmrpc (ESM and CJS builds, two bundles): a registry symbol. */
const BRAND = Symbol.for('nmrpc.RpcError')

/**
 * The one error class of nmrpc: every failed call rejects with an `RpcError`, whether the remote handler
 * threw, the call timed out, was aborted, or the connection died. `name` and `message` are the remote
 * error's own; `code` says what kind of failure it was.
 *
 * @example
 * try { await client.call.math.div(1, 0) }
 * catch (e) { if (e instanceof RpcError && e.name === 'RangeError') console.warn(e.message) }
 */
export class RpcError<Data = unknown> extends Error {
  readonly code: RpcErrorCode | (string & {})
  readonly data: Data | undefined
  readonly remoteStack: string | undefined

  constructor(code: RpcErrorCode | (string & {}), message: string, options: RpcErrorOptions<Data> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = options.name ?? 'RpcError'
    this.code = code
    this.data = options.data
    this.remoteStack = options.remoteStack
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * True for an `RpcError` made by any copy of nmrpc: `instanceof` fails across copies (the ESM and the
   * CommonJS build loaded side by side, or two bundles), this does not.
   *
   * @example
   * catch (e) { if (RpcError.is(e) && e.code === 'TIMEOUT') retry() }
   */
  static is(value: unknown): value is RpcError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/**
 * `RpcError.is` as a function, for `.filter(isRpcError)` and the like.
 *
 * @example
 * const failures = results.filter(isRpcError)
 */
export const isRpcError = (value: unknown): value is RpcError => RpcError.is(value)

/**
 * The error of a call that could not be made or finish because its session failed or closed: the session's
 * code and name, with a message that names the call first (`Call to "x" failed: ...`). One helper, so every
 * such message reads the same.
 *
 * @example
 * call.settleError(callFailed('files.read', new RpcError('CLOSED', 'the client was closed')))
 */
export function callFailed(path: string, error: RpcError): RpcError {
  return new RpcError(error.code, `Call to "${path}" failed: ${error.message}`, {
    cause: error,
    name: error.name,
  })
}

const NAME = /^[A-Za-z_$][\w$]{0,63}$/

/** Keeps remote error names to identifiers, so a hostile peer cannot put markup or log lines there. */
export function safeErrorName(name: unknown): string {
  return typeof name === 'string' && NAME.test(name) ? name : 'Error'
}

export interface ToWireOptions {
  /** Send stack traces. */
  stack: boolean
  /** Encode `data` through the session codec. */
  encode: (value: unknown) => { json: unknown; meta?: unknown }
}

/** Normalises anything thrown into the wire shape. */
export function toWireError(thrown: unknown, opts: ToWireOptions, depth = 0): WireError {
  if (thrown instanceof Error) {
    const code = (thrown as { code?: unknown }).code
    const wire: WireError = {
      name: safeErrorName(thrown.name),
      message: String(thrown.message),
      code: typeof code === 'string' && code.length <= 64 ? code : 'HANDLER_ERROR',
    }
    const data = thrown instanceof RpcError ? thrown.data : undefined
    if (data !== undefined) {
      try {
        const { json, meta } = opts.encode(data)
        wire.data = json
        if (meta !== undefined) wire.x = meta
      } catch (e) {
        wire.data = `(error data could not be encoded: ${e instanceof Error ? e.message : String(e)})`
      }
    }
    if (opts.stack && typeof thrown.stack === 'string') wire.stack = thrown.stack
    if (thrown.cause !== undefined && depth < 4) wire.cause = toWireError(thrown.cause, opts, depth + 1)
    return wire
  }
  return {
    name: 'Error',
    message: typeof thrown === 'string' ? thrown : describeThrown(thrown),
    code: 'HANDLER_ERROR',
  }
}

function describeThrown(v: unknown): string {
  try {
    return `non-error value thrown: ${JSON.stringify(v) ?? String(v)}`
  } catch {
    return `non-error value thrown: ${String(v)}`
  }
}

/** Rebuilds an `RpcError` from its wire shape. */
export function fromWireError(wire: WireError, decode: (json: unknown, meta: unknown) => unknown): RpcError {
  let data: unknown
  if (wire.data !== undefined) {
    try {
      data = decode(wire.data, wire.x)
    } catch {
      data = wire.data
    }
  }
  return new RpcError(wire.code, wire.message, {
    name: safeErrorName(wire.name),
    data,
    cause: wire.cause === undefined ? undefined : fromWireError(wire.cause, decode),
    remoteStack: wire.stack,
  })
}
