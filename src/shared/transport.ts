import type { RpcErrorCode } from './errors.js'

/** Why a transport closed, in words the user can act on (the browser's own text where there is one). */
export interface CloseInfo {
  message: string
  code?: RpcErrorCode
}

/** What a transport calls back into: the session. */
export interface TransportSink {
  /** One message arrived, already parsed from JSON (not yet validated). */
  message(value: unknown): void
  /** A message arrived that is not JSON; the stream is otherwise intact. */
  invalid(problem: string): void
  /** The transport is gone; called once. */
  closed(info: CloseInfo): void
  /** A `send` that returned false has been flushed; more may be sent. */
  drain(): void
}

/**
 * The narrow interface the session engine talks to. A `text` transport (stdio framing) takes the JSON the
 * session already made; an `object` transport (a browser Port) takes the envelope and serialises it itself.
 */
export interface Transport {
  readonly kind: 'text' | 'object'
  /**
   * Largest message body this transport may send; bigger envelopes are chunked. A `text` transport's in
   * bytes of UTF-8 JSON; an `object` transport's in string units, each counted once (it serialises the
   * message itself; the real size is at most 6 times that, and the outbox caps it at a sixth of 64 MiB).
   */
  readonly maxMessageBytes: number
  /**
   * The most bytes one piece of a chunked message or string part carries (within `maxMessageBytes`): what
   * the peer reads best. Default: the outbox's PIECE_BYTES (64 KiB); a host talking to Firefox uses more.
   */
  readonly pieceBytes?: number
  start(sink: TransportSink): void
  /**
   * Bytes handed to `send` that the peer has not taken yet (a peer that stopped reading makes it grow);
   * counted in the session's budget. Undefined when the transport cannot tell.
   */
  readonly buffered?: number
  /**
   * Sends one message. Returns false when the sender should wait for `drain` before more bulk data.
   * `bytes`: the UTF-8 length of a string message, when the sender already counted it (a framing
   * transport then need not count it again; it still checks).
   */
  send(message: string | object, bytes?: number): boolean
  close(): void
}
