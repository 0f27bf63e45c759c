/**
 * What every contender's "browser" side offers the workloads. Each contender implements it over its own
 * library, against a host program that implements the same four methods (see `hostWork.ts`).
 */
export interface BenchSession {
  /** The host process, for RSS readings. */
  readonly hostPid: number
  /** A small call: the host adds two numbers. */
  add(a: number, b: number): Promise<number>
  /** The host returns the string it was given. */
  echo(text: string): Promise<string>
  /** The host returns `length` bytes, byte i being `i & 255`, as a Uint8Array. */
  bytes(length: number): Promise<Uint8Array>
  /**
   * The host streams `total` characters as items of `item` ASCII characters; resolves with the number of
   * characters received once the last item is in. Contenders without streams emulate it (`STREAM_WINDOW`).
   */
  stream(total: number, item: number): Promise<number>
  /**
   * The largest message body the host sent, in bytes, when the harness can see it; `undefined` where the
   * contender's own transport enforces the browser's limit (nmrpc's spawnHost closes the Port past it).
   */
  maxInbound(): number | undefined
  /** Closes the session and waits for the host to exit. */
  close(): Promise<void>
}

/** Starts one contender: spawns its host and resolves once a first call has gone through. */
export type StartContender = (hostScript: string) => Promise<BenchSession>

/**
 * Credit window of the stream emulation used by contenders without streams: the host keeps at most this
 * many items unacknowledged, and the client acknowledges every `STREAM_ACK_EVERY` items. With 64 KiB
 * items that is 1 MiB in flight, which bounds the host's memory the way a real stream's credit does.
 */
export const STREAM_WINDOW = 16
export const STREAM_ACK_EVERY = 8

/** Names of the contenders, in table order. */
export const CONTENDERS = [
  'raw',
  'nmrpc',
  'nmrpc-app',
  'nmrpc-app-copy',
  /** nmrpc's adapter against another commit's dist (`npm run bench -- --baseline-dist <dir>`). */
  'nmrpc-baseline',
  'birpc',
  'vscode',
  'orpc',
  'capnweb',
  'trpc',
] as const
export type ContenderName = (typeof CONTENDERS)[number]

/**
 * Decodes the base64 text that contenders without binary support send for `bytes`.
 *
 * @example
 * const data = fromBase64(await rpc.bytes(n))
 */
export function fromBase64(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/**
 * The node arguments that start a host script: the script, preceded by any flags the harness asks for in
 * BENCH_HOST_FLAGS (a JSON array; `--profile` uses it for `--cpu-prof`, which NODE_OPTIONS refuses).
 *
 * @example
 * spawnOverPipes(hostNode(), hostArgs('.tmp/bench/hosts/raw.mjs'))
 */
export function hostArgs(script: string): string[] {
  const flags = process.env.BENCH_HOST_FLAGS
  const args = flags ? [...(JSON.parse(flags) as string[]), script] : [script]
  const wrap = hostWrap()
  return wrap ? [...wrap.slice(1), process.execPath, ...args] : args
}

/**
 * The program that starts a host: node, or the first word of BENCH_HOST_WRAP (a JSON array such as
 * `["valgrind","--tool=callgrind"]`, which bench/callgrind.ts uses to count the host's instructions;
 * `hostArgs` puts the rest of it and node in front of the script).
 */
export function hostNode(): string {
  return hostWrap()?.[0] ?? process.execPath
}

function hostWrap(): string[] | undefined {
  const wrap = process.env.BENCH_HOST_WRAP
  if (!wrap) return undefined
  const words = JSON.parse(wrap) as unknown
  if (!Array.isArray(words) || words.length === 0 || !words.every((word) => typeof word === 'string')) {
    throw new Error(
      `BENCH_HOST_WRAP must be a non-empty JSON array of strings, got ${wrap}; e.g. ["valgrind","--tool=callgrind"].`,
    )
  }
  return words
}

/** How a contender carries the stream and the binary result: its own feature, or the bench's stand-in. */
export interface Carriage {
  /** True when the library has no such feature and the bench works around it (‡ in the table). */
  readonly emulated: boolean
  readonly how: string
}

/**
 * What each contender uses for the two workloads not every library can express, so the table says it
 * instead of emulating silently. Every other workload (small calls, a 1 MiB string) is a plain call in
 * all of them.
 */
export const CARRIAGE: Record<ContenderName, { stream: Carriage; binary: Carriage; adapter: string }> = {
  raw: {
    adapter: 'hand-written: an id per call, JSON.stringify + 4-byte framing',
    stream: { emulated: true, how: 'notifications + ack window (the bench)' },
    binary: { emulated: true, how: 'base64 text in one message' },
  },
  nmrpc: {
    adapter: '`createClient` over `spawnHost` (its own Port over pipes), `defineHost(...).listen()`',
    stream: { emulated: false, how: 'async generator, credit-based flow control' },
    binary: { emulated: false, how: 'Uint8Array as binary parts of 48 KiB' },
  },
  'nmrpc-baseline': {
    adapter: 'the nmrpc adapter, run against the dist given by `--baseline-dist` (another commit)',
    stream: { emulated: false, how: 'as nmrpc' },
    binary: { emulated: false, how: 'as nmrpc' },
  },
  'nmrpc-app': {
    adapter:
      '`createClient` over `spawnHost` of `nmrpc relay` (FIFO pipes, as a browser gives: handed off to the app on Linux), to an app calling `defineHost(...).serve()`',
    stream: { emulated: false, how: 'async generator, credit-based flow control' },
    binary: { emulated: false, how: 'Uint8Array as binary parts of 48 KiB' },
  },
  'nmrpc-app-copy': {
    adapter:
      'as nmrpc-app, with NMRPC_RELAY_COPY=1: the relay copies bytes (the macOS, Windows and fallback path)',
    stream: { emulated: false, how: 'async generator, credit-based flow control' },
    binary: { emulated: false, how: 'Uint8Array as binary parts of 48 KiB' },
  },
  birpc: {
    adapter: '`createBirpc` post/on over 4-byte framing, JSON serializer',
    stream: { emulated: true, how: 'events + ack window (the bench)' },
    binary: { emulated: true, how: 'base64 text in one message' },
  },
  vscode: {
    adapter: 'message connection with its own Content-Length framing (it cannot speak browser framing)',
    stream: { emulated: true, how: 'notifications + ack window (the bench)' },
    binary: { emulated: true, how: 'base64 text in one message' },
  },
  orpc: {
    adapter:
      "oRPC's message-port `RPCLink` / `RPCHandler` on a `runtime.Port`-like FramedPort (its `BrowserPortLike` path)",
    stream: { emulated: false, how: 'event iterator (async generator), no flow control' },
    binary: {
      emulated: true,
      how: 'base64 text in one message (no Uint8Array type; Blob bodies become binary messages a Port cannot carry)',
    },
  },
  capnweb: {
    adapter:
      "`RpcSession` over a 20-line `RpcTransport` (capnweb's interface, jsonCompatible level) on FramedPort",
    stream: { emulated: false, how: 'ReadableStream, capnweb flow control' },
    binary: { emulated: false, how: 'Uint8Array, as base64 inside one JSON message' },
  },
  trpc: {
    adapter:
      'tRPC 11 client with a terminating port link + `callTRPCProcedure` host (the trpc-chrome pattern) on FramedPort',
    stream: { emulated: false, how: 'subscription (async generator), no flow control' },
    binary: { emulated: true, how: 'base64 text in one message (no binary without HTTP)' },
  },
}
