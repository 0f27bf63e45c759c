import { type Codec, superjsonCodec } from './codec.js'
import {
  DEFAULT_MAX_HELD_BYTES,
  DEFAULT_MAX_PENDING_CALLS,
  DEFAULT_MAX_REASSEMBLED_BYTES,
  DEFAULT_STREAM_WINDOW,
  DEFAULT_TIMEOUT,
} from './limits.js'
import type { SessionOptions } from './session.js'

/** Options both ends take: how calls in each direction are timed, encoded and bounded. */
export interface EndpointOptions {
  /**
   * Ms a call from this end may wait for its reply (for a stream: its first item). Per call:
   * `.with({ timeout })`. `0`: no limit.
   * @default 30_000
   */
  timeout?: number
  /**
   * Payload codec; both ends must use the same one.
   * @default superjsonCodec()
   */
  codec?: Codec
  /**
   * Items a stream this end consumes may be sent ahead of what it has read.
   * @default 16
   */
  streamWindow?: number
  /**
   * Most calls from this end waiting for replies at once; more are rejected at once with `LIMIT_EXCEEDED`.
   * @default 65_536
   */
  maxPendingCalls?: number
  /**
   * Handlers of this end running at once; more calls wait in a queue (a stream counts until it ends).
   * @default 1024
   */
  maxConcurrentCalls?: number
  /**
   * Calls waiting for a handler slot; more are refused with `LIMIT_EXCEEDED`.
   * @default 65_536
   */
  maxQueuedCalls?: number
  /**
   * Result streams this end's handlers produce at once; one more fails with `LIMIT_EXCEEDED`.
   * @default 1024
   */
  maxStreams?: number
  /**
   * Largest message reassembled from chunks (UTF-16 units of JSON, about bytes), and the most held in
   * partial messages at once; past it that call fails with `TOO_LARGE` and the connection goes on.
   * @default 268_435_456 (256 MiB)
   */
  maxReassembledBytes?: number
  /**
   * The budget of bytes this end holds on its peer's behalf, all kinds together: partial chunked
   * messages (with a fixed cost per piece and per open message), envelopes waiting for their binary
   * parts, calls queued for a handler slot, stream items the consumer has not read yet, and output the
   * peer has not taken. Past it, the call the bytes belong to fails with `LIMIT_EXCEEDED`; bytes that
   * belong to no call (unread output, a chunked event) close the connection with one line on stderr.
   * @default 268_435_456 (256 MiB)
   */
  maxHeldBytes?: number
  /**
   * Deepest nesting of arrays and objects accepted in the arguments of a call to this end; deeper ones are
   * refused with `BAD_REQUEST` before the handler runs (handlers that recurse over input stay safe).
   * @default 64
   */
  maxDepth?: number
  /**
   * Send stack traces of errors thrown by this end's handlers. Off by default: stacks leak file paths.
   * @default false
   */
  exposeStack?: boolean
}

type Resolved = Pick<
  SessionOptions,
  | 'codec'
  | 'timeout'
  | 'streamWindow'
  | 'maxPendingCalls'
  | 'maxConcurrentCalls'
  | 'maxQueuedCalls'
  | 'maxStreams'
  | 'maxReassembledBytes'
  | 'maxHeldBytes'
  | 'exposeStack'
  | 'maxDepth'
>

/** The session settings for `o`, with every default applied in one place. */
export function resolveEndpointOptions(o: EndpointOptions, codec?: Codec): Resolved {
  return resolveLimits(o, codec ?? o.codec ?? superjsonCodec())
}

/**
 * The same settings with the codec given: what a client without a default codec uses, so that a bundler
 * can leave superjson out.
 */
export function resolveLimits(o: EndpointOptions, codec: Codec): Resolved {
  return {
    codec,
    timeout: o.timeout ?? DEFAULT_TIMEOUT,
    streamWindow: o.streamWindow ?? DEFAULT_STREAM_WINDOW,
    maxPendingCalls: o.maxPendingCalls ?? DEFAULT_MAX_PENDING_CALLS,
    maxConcurrentCalls: o.maxConcurrentCalls,
    maxQueuedCalls: o.maxQueuedCalls,
    maxStreams: o.maxStreams,
    maxReassembledBytes: o.maxReassembledBytes ?? DEFAULT_MAX_REASSEMBLED_BYTES,
    maxHeldBytes: o.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES,
    exposeStack: o.exposeStack ?? false,
    maxDepth: o.maxDepth,
  }
}
