/**
 * The wire: every message is one JSON object, an envelope, with a kind tag `t`.
 * PROTOCOL.md is the normative description; `test/protocol.test.ts` checks this file against its examples.
 *
 * Payloads (`a`, `r`, `d`, `e.data`) are the codec's JSON output; `x` (or `e.x`) carries the codec's
 * metadata when the value needed more than plain JSON (a Date, a Map, binary...). Where `x` is absent the
 * payload is plain JSON and is used as is.
 */

/** The protocol's major version. Ends that speak different versions refuse each other's calls. */
export const PROTOCOL_VERSION = 1

/** The id of a call: a per-session counter, unique among the calls one side has started. */
export type CallId = number

/** Opens a session. The client sends it first; the host answers with its own and never speaks first. */
export interface HelloEnvelope {
  t: 'hello'
  /** Protocol version of the sender. */
  v: number
  /** Implementation and version of the sender, for diagnostics, e.g. `"nmrpc/0.1.0"`. */
  impl?: string
  /**
   * Optional features the sender can receive, e.g. `["str"]` (string parts). A peer uses a feature only
   * after the other end's hello listed it, so an older peer is never sent what it cannot read.
   */
  f?: string[]
}

/** The optional features this end can receive (see {@link HelloEnvelope.f}). */
export const FEATURES: readonly string[] = ['str']

/**
 * Where the string parts of an envelope go: `[k, ...path]` puts the string of `str` pieces `k` at `path`
 * (object keys and array indexes from the envelope's root, starting at its payload key), which holds `0`.
 */
export type StringRefs = Array<[number, ...Array<string | number>]>

/** Calls the method at dotted path `p` with the argument list `a`. */
export interface CallEnvelope {
  t: 'call'
  id: CallId
  p: string
  a: unknown
  x?: unknown
  /** Indexes of arguments that are streams; their items follow as `next` envelopes with `s` set. */
  st?: number[]
  /** Stream window for this call's result stream, when not the default. */
  w?: number
  /** Byte sizes of the binary parts taken out of `a`; their bytes follow as `bin` envelopes. */
  b?: number[]
  /** String parts taken out of `a`, which came before as `str` pieces. */
  u?: StringRefs
}

/** A unary call's value. */
export interface OkEnvelope {
  t: 'ok'
  id: CallId
  r?: unknown
  x?: unknown
  /** Byte sizes of the binary parts taken out of `r`; their bytes follow as `bin` envelopes. */
  b?: number[]
  /** String parts taken out of `r`, which came before as `str` pieces. */
  u?: StringRefs
}

/** The error a call (or, with `s`, an argument stream) ended with. */
export interface ErrEnvelope {
  t: 'err'
  id: CallId
  s?: number
  e: WireError
}

/** One item of a stream: the result stream of call `id`, or argument stream `s` of call `id`. */
export interface NextEnvelope {
  t: 'next'
  id: CallId
  s?: number
  r?: unknown
  x?: unknown
  /** Byte sizes of the binary parts taken out of `r`; their bytes follow as `bin` envelopes. */
  b?: number[]
  /** String parts taken out of `r`, which came before as `str` pieces. */
  u?: StringRefs
}

/** A stream finished normally. */
export interface EndEnvelope {
  t: 'end'
  id: CallId
  s?: number
}

/** The consumer of a stream lets the producer send `n` more items. */
export interface CreditEnvelope {
  t: 'credit'
  id: CallId
  s?: number
  n: number
}

/**
 * Stop what you are producing for `id`: abort the handler of call `id` and its result stream, or (with
 * `s`) stop sending argument stream `s` of your call `id`.
 */
export interface CancelEnvelope {
  t: 'cancel'
  id: CallId
  s?: number
  /** Why, for logs: "timeout", "abort", "closed", "break". */
  why?: string
}

/** A fire-and-forget notification. */
export interface EventEnvelope {
  t: 'event'
  name: string
  d?: unknown
  x?: unknown
  /** String parts taken out of `d`, which came before as `str` pieces. */
  u?: StringRefs
}

/**
 * One piece of an envelope too large for one message: `d` is a slice of the envelope's JSON text.
 * Pieces of one message share `k` and arrive in order; the one with `end: 1` completes it.
 * `id` (and `s`) name the call or stream the message belongs to, so a receiver that refuses the
 * message can fail just that call.
 */
export interface ChunkEnvelope {
  t: 'chunk'
  k: number
  /** The kind of the envelope being carried (`call`, `ok`, `next`, `err`, `event`). */
  of?: string
  id?: CallId
  s?: number
  d: string
  end?: 1
}

/**
 * A piece of binary part `i` of the envelope of kind `of` with `id` (and `s`): base64 `d`, in order; the
 * piece with `end: 1` completes that part. Sent after the envelope that announced the parts in `b`.
 */
export interface BinEnvelope {
  t: 'bin'
  of: 'call' | 'ok' | 'next'
  id: CallId
  s?: number
  i: number
  d: string
  end?: 1
}

/**
 * One piece of a string taken out of an envelope (feature `str`): `d` is a slice of the string. Pieces of
 * one string share `k` and arrive in order; the one with `end: 1` completes it. The envelope that refers
 * to it (in its `u`) comes after. `of`, `id` and `s` name that envelope, as for `chunk`.
 */
export interface StrEnvelope {
  t: 'str'
  k: number
  of?: string
  id?: CallId
  s?: number
  d: string
  end?: 1
}

export type Envelope =
  | StrEnvelope
  | BinEnvelope
  | HelloEnvelope
  | CallEnvelope
  | OkEnvelope
  | ErrEnvelope
  | NextEnvelope
  | EndEnvelope
  | CreditEnvelope
  | CancelEnvelope
  | EventEnvelope
  | ChunkEnvelope

export type EnvelopeKind = Envelope['t']

/** An error as it crosses the wire. */
export interface WireError {
  name: string
  message: string
  code: string
  data?: unknown
  x?: unknown
  stack?: string
  cause?: WireError
}

/** Thrown by {@link parseEnvelope}; carries the id of the offending envelope where it had one. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation'
  constructor(
    message: string,
    readonly id?: CallId,
  ) {
    super(message)
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isId = (v: unknown): v is CallId => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 256
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
const isBlobSizes = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every((n) => Number.isSafeInteger(n) && n >= 0)
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const isStep = (v: unknown): boolean =>
  (typeof v === 'string' && v.length <= 1024) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
/** `u`: 1 to 16 references `[k, ...path]`, each path 1 to 64 steps. */
const isStringRefs = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.length <= 16 &&
  v.every(
    (r) => Array.isArray(r) && r.length >= 2 && r.length <= 65 && isId(r[0]) && r.slice(1).every(isStep),
  )

function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  try {
    const s = JSON.stringify(v)
    return s.length > 80 ? `${s.slice(0, 77)}...` : s
  } catch {
    return typeof v
  }
}

function fail(msg: string, env: Record<string, unknown>): never {
  throw new ProtocolViolation(msg, isId(env.id) ? env.id : undefined)
}

function optional(env: Record<string, unknown>, key: string, ok: (v: unknown) => boolean, what: string) {
  const v = env[key]
  if (v !== undefined && !ok(v)) fail(`"${env.t}" envelope has a bad "${key}" (${describe(v)}): ${what}`, env)
}

/** What is wrong with `v` as a {@link WireError}, naming the field (e.g. `e.cause.code`); undefined if nothing. */
function wireErrorProblem(v: unknown, at: string, depth = 0): string | undefined {
  if (!isObject(v)) return `"${at}" must be an object with string name, message and code, got ${describe(v)}`
  if (depth > 8) return `"${at}" is a cause nested more than 8 deep`
  for (const key of ['name', 'message', 'code'] as const)
    if (typeof v[key] !== 'string') return `"${at}.${key}" must be a string, got ${describe(v[key])}`
  if (v.stack !== undefined && typeof v.stack !== 'string')
    return `"${at}.stack" must be a string, got ${describe(v.stack)}`
  return v.cause === undefined ? undefined : wireErrorProblem(v.cause, `${at}.cause`, depth + 1)
}

/**
 * Checks that `value` (decoded JSON from the other end) is a well-formed envelope and returns it typed.
 * Unknown extra fields are allowed (newer peers may add some); a missing or mistyped known field is not.
 *
 * @throws ProtocolViolation naming the kind, the field and the value.
 * @example
 * const env = parseEnvelope(JSON.parse(text)) // Envelope, or throws ProtocolViolation
 */
export function parseEnvelope(value: unknown): Envelope {
  if (!isObject(value)) throw new ProtocolViolation(`a message must be a JSON object, got ${describe(value)}`)
  const env = value
  switch (env.t) {
    case 'hello':
      if (typeof env.v !== 'number')
        fail(`"hello" needs a numeric protocol version "v", got ${describe(env.v)}`, env)
      optional(env, 'impl', (v) => typeof v === 'string', 'a string')
      optional(
        env,
        'f',
        (v) => Array.isArray(v) && v.length <= 32 && v.every((x) => typeof x === 'string' && x.length <= 32),
        'a list of feature names',
      )
      return env as unknown as HelloEnvelope
    case 'call':
      if (!isId(env.id)) fail(`"call" needs an integer id >= 0, got ${describe(env.id)}`, env)
      if (typeof env.p !== 'string' || env.p.length === 0 || env.p.length > 1024)
        fail(`"call" needs a method path "p" of 1 to 1024 characters, got ${describe(env.p)}`, env)
      if (!('a' in env)) fail('"call" needs an argument list "a"', env)
      optional(
        env,
        'st',
        (v) => Array.isArray(v) && v.length <= 32 && v.every(isIndex) && new Set(v).size === v.length,
        'a list of distinct argument indexes',
      )
      optional(env, 'w', isCount, 'a positive integer')
      optional(env, 'b', isBlobSizes, 'a list of 1 to 64 byte sizes')
      optional(env, 'u', isStringRefs, 'a list of 1 to 16 string part references [k, ...path]')
      return env as unknown as CallEnvelope
    case 'ok':
      if (!isId(env.id)) fail(`"ok" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 'b', isBlobSizes, 'a list of 1 to 64 byte sizes')
      optional(env, 'u', isStringRefs, 'a list of 1 to 16 string part references [k, ...path]')
      return env as unknown as OkEnvelope
    case 'err':
      if (!isId(env.id)) fail(`"err" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 's', isIndex, 'an argument index')
      {
        const problem = wireErrorProblem(env.e, 'e')
        if (problem !== undefined) fail(`"err" has a bad error: ${problem}`, env)
      }
      return env as unknown as ErrEnvelope
    case 'next':
    case 'end':
      if (!isId(env.id)) fail(`"${env.t}" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 's', isIndex, 'an argument index')
      if (env.t === 'next') {
        optional(env, 'b', isBlobSizes, 'a list of 1 to 64 byte sizes')
        optional(env, 'u', isStringRefs, 'a list of 1 to 16 string part references [k, ...path]')
      }
      return env as unknown as NextEnvelope | EndEnvelope
    case 'bin':
      if (env.of !== 'call' && env.of !== 'ok' && env.of !== 'next')
        fail(`"bin" needs "of" = "call", "ok" or "next", got ${describe(env.of)}`, env)
      if (!isId(env.id)) fail(`"bin" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 's', isIndex, 'an argument index')
      if (!(typeof env.i === 'number' && Number.isInteger(env.i) && env.i >= 0 && env.i < 64))
        fail(`"bin" needs a part index "i" from 0 to 63, got ${describe(env.i)}`, env)
      if (typeof env.d !== 'string' || env.d.length % 4 !== 0 || !BASE64.test(env.d))
        fail(`"bin" needs base64 "d" (a multiple of 4 characters), got ${describe(env.d)}`, env)
      optional(env, 'end', (v) => v === 1, 'the number 1')
      return env as unknown as BinEnvelope
    case 'credit':
      if (!isId(env.id)) fail(`"credit" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 's', isIndex, 'an argument index')
      if (!isCount(env.n)) fail(`"credit" needs a positive integer "n", got ${describe(env.n)}`, env)
      return env as unknown as CreditEnvelope
    case 'cancel':
      if (!isId(env.id)) fail(`"cancel" needs an integer id >= 0, got ${describe(env.id)}`, env)
      optional(env, 's', isIndex, 'an argument index')
      optional(env, 'why', (v) => typeof v === 'string', 'a string')
      return env as unknown as CancelEnvelope
    case 'event':
      if (typeof env.name !== 'string' || env.name.length === 0 || env.name.length > 256)
        fail(`"event" needs a name of 1 to 256 characters, got ${describe(env.name)}`, env)
      optional(env, 'u', isStringRefs, 'a list of 1 to 16 string part references [k, ...path]')
      return env as unknown as EventEnvelope
    case 'chunk':
    case 'str':
      if (!isId(env.k)) fail(`"${env.t}" needs an integer key "k" >= 0, got ${describe(env.k)}`, env)
      optional(env, 'of', (v) => typeof v === 'string' && v.length <= 16, 'an envelope kind')
      optional(env, 'id', isId, 'an integer id >= 0')
      optional(env, 's', isIndex, 'an argument index')
      if (typeof env.d !== 'string') fail(`"${env.t}" needs a string "d", got ${describe(env.d)}`, env)
      optional(env, 'end', (v) => v === 1, 'the number 1')
      return env as unknown as ChunkEnvelope | StrEnvelope
    default:
      fail(
        `unknown envelope kind ${describe(env.t)}; this end speaks protocol ${PROTOCOL_VERSION} ` +
          '(hello, call, ok, err, next, end, credit, cancel, event, chunk, bin, str)',
        env,
      )
  }
}
