/**
 * Every limit nmrpc enforces, in one place. Options override the per-session ones; the defaults are
 * documented on the options that take them.
 */

/** Largest message body a browser accepts from a native host (Chromium and Firefox): 1 MiB of JSON. */
export const BROWSER_INBOUND_LIMIT = 1024 * 1024

/** Largest message body Chromium sends to a native host (64 MiB). */
export const BROWSER_OUTBOUND_LIMIT = 64 * 1024 * 1024

/** Default largest single message either end sends before cutting it into chunks (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = BROWSER_INBOUND_LIMIT

/** Default largest envelope reassembled from chunks, and the most held in partial reassembly at once. */
export const DEFAULT_MAX_REASSEMBLED_BYTES = 256 * 1024 * 1024

/** Default time a call may wait for its reply (for a stream: its first item), in ms. */
export const DEFAULT_TIMEOUT = 30_000

/** Default stream window: items a producer may send ahead of what the consumer has taken. */
export const DEFAULT_STREAM_WINDOW = 16

/** Default most calls one side may have waiting for replies at once. */
export const DEFAULT_MAX_PENDING_CALLS = 65_536

/** Most argument streams one call may carry. */
export const MAX_STREAM_ARGS = 32

/** Largest frame the host's stdin decoder accepts: what Chromium could ever send, plus slack. */
export const DEFAULT_MAX_FRAME_IN = BROWSER_OUTBOUND_LIMIT

/** Most chunked messages remembered as refused, so their later pieces are dropped quietly. */
export const MAX_REFUSED_CHUNK_KEYS = 1024

/** How long `host.close()` (and SIGTERM) lets in-flight calls finish before cancelling them, in ms. */
export const DEFAULT_CLOSE_GRACE = 1_000

/** Most envelopes accepted in one batch message. */
export const MAX_BATCH = 65_536

/** Default most handlers running at once on one side; more calls wait in a queue. */
export const DEFAULT_MAX_CONCURRENT_CALLS = 1024

/** Default most calls waiting for a handler slot; more are refused with `LIMIT_EXCEEDED`. */
export const DEFAULT_MAX_QUEUED_CALLS = 65_536

/** Default most result streams one side produces at once. */
export const DEFAULT_MAX_STREAMS = 1024

/** Default deepest nesting of arrays and objects accepted in a call's arguments. */
export const DEFAULT_MAX_DEPTH = 64

/**
 * Default budget of bytes one session holds on its peer's behalf, all kinds together: partial chunked
 * messages, envelopes waiting for binary parts, queued calls, unread stream items, unsent output.
 */
export const DEFAULT_MAX_HELD_BYTES = 256 * 1024 * 1024

/** What each piece of a partial chunked message costs in the ledger beyond its text (empty pieces are not free). */
export const PIECE_COST = 256

/** What each open partial chunked message costs in the ledger beyond its pieces. */
export const OPEN_MESSAGE_COST = 4096

/** Most chunked messages one session may have partly received at once; one more is refused. */
export const MAX_OPEN_MESSAGES = 256

/** What an envelope waiting in the ledger (queued call, unread item, envelope awaiting parts) costs beyond its data. */
export const ENVELOPE_COST = 256

/**
 * Most digits in a BigInt taken from the other end. Parsing decimal text into a BigInt costs more than
 * linear time past about a thousand digits (a 1 MiB BigInt takes 0.5 s); 4096 digits cost about 50 ms per
 * MiB of message, near plain JSON. Larger numbers can travel as strings.
 */
export const MAX_BIGINT_DIGITS = 4096

/**
 * How many times larger than its graph an argument of a `validate(...)` handler may be when walked path by
 * path. A schema validator visits a shared object once per path to it: 40 levels of shared references
 * are 80 nodes but 2^40 paths. Up to `VALIDATION_EXPANSION_SLACK` extra visits are always allowed.
 */
export const MAX_VALIDATION_EXPANSION = 8

/** Visits over the graph's size a validated argument may always cost (ordinary sharing stays legal). */
export const VALIDATION_EXPANSION_SLACK = 65_536

/**
 * Diagnostic lines a session prints at once (mostly about what the peer sent wrong: each bad envelope is
 * one); past it, LOG_PER_SECOND lines a second, and the rest are counted and the count printed.
 */
export const LOG_BURST = 1000

/** Diagnostic lines a session prints per second once its LOG_BURST is spent. */
export const LOG_PER_SECOND = 100
