import { TRPCClientError, type TRPCLink } from '@trpc/client'
import {
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
} from '@trpc/server'
import { observable } from '@trpc/server/observable'
import type { PortLike } from './portLike'

/*
 * tRPC over a native-messaging Port, in the pattern of trpc-chrome (which cannot be installed next to
 * tRPC 11: it peers on @trpc/* ^10). The client is a terminating custom link (tRPC's documented link
 * API); the host answers with tRPC's own `callTRPCProcedure` and `getTRPCErrorShape`, as tRPC's adapters
 * do. Messages are trpc-chrome's envelopes: `{ trpc: { id, method, params: { path, input } } }` out,
 * `{ trpc: { id, result } }` or `{ trpc: { id, error } }` back. Unlike trpc-chrome, which adds one Port
 * listener per call and lets every call look at every message, one listener routes by id, so tRPC is
 * not charged for that design. No transformer (tRPC's default), so values are plain JSON.
 */

type Method = 'query' | 'mutation' | 'subscription'

interface Request {
  id: number
  method: Method | 'subscription.stop'
  params?: { path: string; input: unknown }
}

interface Reply {
  id: number
  result?: { type?: 'data' | 'started' | 'stopped'; data?: unknown }
  error?: { message: string; code: number; data?: unknown }
}

function envelope(message: unknown): Record<string, unknown> | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const inner = (message as { trpc?: unknown }).trpc
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : undefined
}

function asReply(message: unknown): Reply | undefined {
  const r = envelope(message)
  return r && typeof r.id === 'number' ? (r as unknown as Reply) : undefined
}

function asRequest(message: unknown): Request | undefined {
  const r = envelope(message)
  if (!r || typeof r.id !== 'number' || typeof r.method !== 'string') return undefined
  if (r.method === 'subscription.stop') return r as unknown as Request
  const params = r.params as { path?: unknown } | undefined
  if (!['query', 'mutation', 'subscription'].includes(r.method) || typeof params?.path !== 'string')
    return undefined
  return r as unknown as Request
}

/**
 * A terminating tRPC link that sends every operation over `port` and routes replies by id. A
 * subscription ends on the host's `stopped`; unsubscribing sends `subscription.stop`. If the Port
 * disconnects, every open operation fails with a `TRPCClientError`.
 *
 * @example
 * const client = createTRPCClient<Router>({ links: [portLink(port)] })
 */
export function portLink<TRouter extends AnyTRPCRouter>(port: PortLike): TRPCLink<TRouter> {
  type Observer = {
    next(reply: Reply): void
    fail(error: TRPCClientError<TRouter>): void
  }
  const open = new Map<number, Observer>()
  port.onMessage.addListener((message) => {
    const reply = asReply(message)
    if (reply) open.get(reply.id)?.next(reply)
  })
  port.onDisconnect.addListener(() => {
    const error = new TRPCClientError<TRouter>('tRPC port link: the native-messaging Port was disconnected.')
    for (const observer of [...open.values()]) observer.fail(error)
    open.clear()
  })
  return () =>
    ({ op }) =>
      observable((observer) => {
        const { id, type, path, input } = op
        open.set(id, {
          next(reply) {
            if (reply.error) {
              open.delete(id)
              observer.error(TRPCClientError.from({ error: reply.error }))
              return
            }
            const result = reply.result ?? {}
            if (result.type === 'stopped') {
              open.delete(id)
              observer.complete()
              return
            }
            if (result.type === 'started') return
            observer.next({ result: { type: 'data', data: result.data } })
            if (type !== 'subscription') {
              open.delete(id)
              observer.complete()
            }
          },
          fail: (error) => observer.error(error),
        })
        port.postMessage({ trpc: { id, method: type, params: { path, input } } })
        return () => {
          if (!open.delete(id) || type !== 'subscription') return
          port.postMessage({ trpc: { id, method: 'subscription.stop' } })
        }
      })
}

/**
 * Serves a tRPC router on `port`: each request runs through `callTRPCProcedure`; a subscription's
 * async iterable is read to the end, each item sent as one `data` reply, then `stopped`. Errors go back
 * in tRPC's own error shape. Nothing limits how far a subscription runs ahead of the client (neither
 * does trpc-chrome): the Port's write buffer takes what the pipe cannot.
 *
 * @example
 * serveTrpc(appRouter, new FramedPort(process.stdin, process.stdout))
 */
export function serveTrpc(router: AnyTRPCRouter, port: PortLike): void {
  const running = new Map<number, AbortController>()
  const reply = (id: number, body: Omit<Reply, 'id'>) => port.postMessage({ trpc: { id, ...body } })
  port.onDisconnect.addListener(() => {
    for (const controller of running.values()) controller.abort()
    running.clear()
  })
  port.onMessage.addListener((message) => {
    const request = asRequest(message)
    if (!request) return
    const { id } = request
    if (request.method === 'subscription.stop') {
      running.get(id)?.abort()
      return
    }
    const type = request.method
    const { path, input } = request.params!
    const controller = new AbortController()
    running.set(id, controller)
    const run = async () => {
      const result: unknown = await callTRPCProcedure({
        router,
        path,
        getRawInput: async () => input,
        ctx: {},
        type,
        signal: controller.signal,
        batchIndex: 0,
      })
      if (type !== 'subscription') {
        reply(id, { result: { type: 'data', data: result } })
        return
      }
      reply(id, { result: { type: 'started' } })
      for await (const data of result as AsyncIterable<unknown>) {
        if (controller.signal.aborted) break
        reply(id, { result: { type: 'data', data } })
      }
      reply(id, { result: { type: 'stopped' } })
    }
    run()
      .catch((cause: unknown) => {
        const error = getTRPCErrorFromUnknown(cause)
        reply(id, {
          error: getTRPCErrorShape({ config: router._def._config, error, type, path, input, ctx: {} }),
        })
      })
      .finally(() => running.delete(id))
  })
}
