import { RpcError } from '../shared/errors.js'

/** How `client.events(name)` buffers events its reader has not taken yet. */
export interface EventsOptions {
  /**
   * Events kept for a reader that is behind; beyond, `overflow` decides.
   * @default 100
   */
  buffer?: number
  /**
   * `'drop-oldest'`: the oldest buffered event is dropped to make room (the reader sees the latest ones).
   * `'error'`: the next read throws `LIMIT_EXCEEDED` and the iterator stops listening.
   * @default 'drop-oldest'
   */
  overflow?: 'drop-oldest' | 'error'
  /** Stops the iteration (the loop ends normally) and unsubscribes. */
  signal?: AbortSignal
}

/** What the iterator needs from the client; kept narrow so it can be tested and bundled alone. */
export interface EventSource {
  on(listener: (data: unknown) => void): () => void
  /** Called with an error when the connection is gone for good (closed, or lost without `reconnect`). */
  onEnd(listener: (error: RpcError | undefined) => void): () => void
}

const DEFAULT_BUFFER = 100

/**
 * An async iterator over one event name: `for await (const e of client.events('tick'))`. `break` (or
 * `return()`) unsubscribes; closing the client ends the loop; losing the connection without `reconnect`
 * makes the next read throw (after the buffered events).
 * @internal used by createClient
 */
export function eventIterator<T>(
  name: string,
  source: EventSource,
  options: EventsOptions = {},
): AsyncIterableIterator<T> {
  const max = options.buffer ?? DEFAULT_BUFFER
  if (!Number.isInteger(max) || max < 1)
    throw new TypeError(`client.events("${name}"): buffer ${max} is not a whole number of events >= 1`)
  const overflow = options.overflow ?? 'drop-oldest'
  if (overflow !== 'drop-oldest' && overflow !== 'error')
    throw new TypeError(`client.events("${name}"): overflow "${overflow}" is not 'drop-oldest' or 'error'`)
  const buffered: T[] = []
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined
  let ended = false
  let failure: RpcError | undefined

  const stop = (error?: RpcError, dropBuffer = false) => {
    if (ended) return
    ended = true
    failure = error
    if (dropBuffer) buffered.length = 0
    off()
    offEnd()
    options.signal?.removeEventListener('abort', onAbort)
    const w = waiter
    waiter = undefined
    if (!w) return
    if (error) {
      failure = undefined
      w.reject(error)
    } else w.resolve({ value: undefined, done: true })
  }
  const onAbort = () => stop()
  // Assigned below; `stop` may run first (a closed client ends the iterator while it subscribes).
  let off = () => {}
  let offEnd = () => {}
  off = source.on((data) => {
    if (ended) return
    if (waiter) {
      const w = waiter
      waiter = undefined
      w.resolve({ value: data as T, done: false })
      return
    }
    if (buffered.length >= max) {
      if (overflow === 'error') {
        stop(
          new RpcError(
            'LIMIT_EXCEEDED',
            `client.events("${name}"): more than ${max} events arrived unread (buffer ${max}); ` +
              "read faster, raise buffer, or use overflow: 'drop-oldest'",
          ),
          true,
        )
        return
      }
      buffered.shift()
    }
    buffered.push(data as T)
  })
  offEnd = source.onEnd((error) => stop(error))
  if (ended) {
    off()
    offEnd()
  }
  if (options.signal?.aborted) stop()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  const it: AsyncIterableIterator<T> = {
    next() {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift() as T, done: false })
      if (failure) {
        const e = failure
        failure = undefined
        return Promise.reject(e)
      }
      if (ended) return Promise.resolve({ value: undefined, done: true })
      if (waiter)
        return Promise.reject(new TypeError(`client.events("${name}") is read by two loops at once`))
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject }
      })
    },
    return() {
      stop()
      buffered.length = 0
      failure = undefined
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return it
    },
  }
  return it
}
