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
export const CONTENDERS = ['raw', 'nmrpc', 'nmrpc-app', 'birpc', 'vscode'] as const
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
 * spawnOverPipes(process.execPath, hostArgs('.tmp/bench/hosts/raw.mjs'))
 */
export function hostArgs(script: string): string[] {
  const flags = process.env.BENCH_HOST_FLAGS
  return flags ? [...(JSON.parse(flags) as string[]), script] : [script]
}
