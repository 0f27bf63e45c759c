import type { Codec } from '../shared/codec.js'
import { fromWireError, RpcError } from '../shared/errors.js'
import { type CallEnvelope, parseEnvelope } from '../shared/protocol.js'
import { type CallResult, RemoteCall } from '../shared/remoteCall.js'
import type { CallOptions } from '../shared/session.js'
import type { PortFactory } from './port.js'
import { portErrorMessage } from './port.js'
import { describeDisconnect } from './portTransport.js'

type SendNative = (name: string, message: unknown, callback?: (response: unknown) => void) => unknown
interface RuntimeLike {
  sendNativeMessage?: SendNative
  lastError?: { message?: string }
}

/** Sends one message to a fresh host process and resolves with its first reply. */
function sendOnce(
  target: string | PortFactory,
  message: CallEnvelope,
  signal: AbortSignal,
): Promise<unknown> {
  if (typeof target === 'function') {
    return new Promise((resolve, reject) => {
      const port = target()
      let done = false
      const finish = (fn: () => void) => {
        if (done) return
        done = true
        signal.removeEventListener('abort', onAbort)
        fn()
        try {
          port.disconnect()
        } catch {
          // already gone
        }
      }
      const onAbort = () => finish(() => reject(signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })
      port.onMessage.addListener((m) => finish(() => resolve(m)))
      port.onDisconnect.addListener((p) => {
        const said = portErrorMessage(p)
        finish(() => reject(describeDisconnect(target.hostName ?? 'native host', said, false)))
      })
      port.postMessage(message)
    })
  }
  const g = globalThis as { browser?: { runtime?: RuntimeLike }; chrome?: { runtime?: RuntimeLike } }
  const promised = g.browser?.runtime?.sendNativeMessage
  const chrome = g.chrome?.runtime
  if (!promised && !chrome?.sendNativeMessage)
    return Promise.reject(
      new RpcError(
        'DISCONNECTED',
        `cannot call native host "${target}" in one-shot mode: runtime.sendNativeMessage is not available here; ` +
          'the extension needs the "nativeMessaging" permission',
      ),
    )
  const sent = promised
    ? (promised.call(g.browser!.runtime, target, message) as Promise<unknown>)
    : new Promise((resolve, reject) => {
        chrome!.sendNativeMessage!.call(chrome, target, message, (response) => {
          const said = chrome!.lastError?.message
          if (said) reject(describeDisconnect(target, said))
          else resolve(response)
        })
      })
  return Promise.race([
    sent.catch((e: unknown) => {
      throw e instanceof RpcError ? e : describeDisconnect(target, e instanceof Error ? e.message : String(e))
    }),
    new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason)
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    }),
  ])
}

/**
 * One call in one-shot mode: the browser starts the host, sends it this one `call` (no `hello`), returns
 * its first reply, and stops it. Streams, events and host-to-extension calls need a Port; results must fit
 * in one message (1 MiB).
 */
export function oneShotCall(
  target: string | PortFactory,
  path: string,
  args: unknown[],
  options: CallOptions & { codec: Codec; timeout: number },
): CallResult {
  const call = new RemoteCall(path, 1, { grant() {}, cancel() {} })
  const host = typeof target === 'string' ? target : (target.hostName ?? 'native host')
  const fail = (code: string, message: string) =>
    call.settleError(new RpcError(code, `Call to "${path}" ${message}`))
  if (
    args.some((a) => a !== null && typeof a === 'object' && (Symbol.asyncIterator in a || 'getReader' in a))
  ) {
    fail('BAD_REQUEST', "has a stream argument; streams need a connected client (mode 'port')")
    return call.result
  }
  let env: CallEnvelope
  try {
    const { json, meta } = options.codec.encode(args)
    env = { t: 'call', id: 1, p: path, a: json }
    if (meta !== undefined) env.x = meta
  } catch (e) {
    fail('BAD_REQUEST', `has arguments that cannot be sent: ${e instanceof Error ? e.message : String(e)}`)
    return call.result
  }
  const controller = new AbortController()
  const timeout = options.timeout
  const timer =
    timeout > 0 && Number.isFinite(timeout)
      ? setTimeout(
          () =>
            controller.abort(
              new RpcError(
                'TIMEOUT',
                `Call to "${path}" on host "${host}" timed out after ${timeout} ms (one-shot)`,
              ),
            ),
          timeout,
        )
      : undefined
  const onAbort = () =>
    controller.abort(
      new RpcError('ABORTED', `Call to "${path}" was aborted`, { cause: options.signal?.reason }),
    )
  if (options.signal?.aborted) onAbort()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  sendOnce(target, env, controller.signal)
    .then((reply) => {
      const r = parseEnvelope(reply)
      if (r.t === 'ok') call.settleValue(r.x === undefined ? r.r : options.codec.decode(r.r, r.x))
      else if (r.t === 'err')
        call.settleError(fromWireError(r.e, (j, m) => (m === undefined ? j : options.codec.decode(j, m))))
      else if (r.t === 'chunk')
        fail('TOO_LARGE', "has a result larger than one message (1 MiB); large results need mode 'port'")
      else if (r.t === 'next' || r.t === 'end')
        fail('NOT_A_STREAM', "returned a stream; streams need mode 'port'")
      else fail('PROTOCOL_ERROR', `got a "${r.t}" envelope where a reply was expected`)
    })
    .catch((e: unknown) => {
      const error =
        e instanceof RpcError
          ? e
          : new RpcError(
              'PROTOCOL_ERROR',
              `host "${host}" replied with something that is not a reply: ${String(e)}`,
            )
      call.settleError(
        error.code === 'TIMEOUT' || error.code === 'ABORTED'
          ? error
          : new RpcError(error.code, `Call to "${path}" failed: ${error.message}`, { cause: error }),
      )
    })
    .finally(() => {
      if (timer) clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    })
  return call.result
}
