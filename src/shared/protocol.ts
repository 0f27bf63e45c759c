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

/**
 * Thrown by {@link parseEnvelope}; carries the id of the offending envelope where it had one. It has no
 * stack: it is made for every bad envelope a peer sends, where it only says what was wrong, and capturing a
 * stack cost 6 µs each (200,000 bad envelopes: 1.2 s of a host's CPU).
 */
export class ProtocolViolation extends Error {
  declare readonly id?: CallId
  constructor(message: string, id?: CallId) {
    const limit = Error.stackTraceLimit
    if (typeof limit === 'number') Error.stackTraceLimit = 0
    super(message)
    if (typeof limit === 'number') Error.stackTraceLimit = limit
    this.id = id
  }
}
ProtocolViolation.prototype.name = 'ProtocolViolation'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isId = (v: unknown): v is CallId => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 256
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0
const isBlobSizes = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every((n) => Number.isSafeInteger(n) && n >= 0)
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

/**
 * One check of an envelope's field: what is wrong with it, after the kind (`"call" needs ...`), or undefined.
 * {@link need} and {@link may} build the usual ones, so each message names the field, the value and what it
 * must be.
 */
type Rule = (env: Record<string, unknown>) => string | undefined

/** A field that must be there and pass `ok`. */
const need =
  (key: string, ok: (v: unknown) => boolean, what: string): Rule =>
  (env) =>
    ok(env[key]) ? undefined : `needs ${what}, got ${describe(env[key])}`

/** A field that may be absent, and must pass `ok` when present. */
const may =
  (key: string, ok: (v: unknown) => boolean, what: string): Rule =>
  (env) =>
    env[key] === undefined || ok(env[key])
      ? undefined
      : `envelope has a bad "${key}" (${describe(env[key])}): ${what}`

const isString = (v: unknown) => typeof v === 'string'
const needId = need('id', isId, 'an integer id >= 0')
const mayS = may('s', isIndex, 'an argument index')
const mayB = may('b', isBlobSizes, 'a list of 1 to 64 byte sizes')
const mayU = may('u', isStringRefs, 'a list of 1 to 16 string part references [k, ...path]')
const mayEnd = may('end', (v) => v === 1, 'the number 1')
/** `chunk` and `str`: pieces of something larger, named by `of`, `id` and `s`. */
const piece = [
  need('k', isId, 'an integer key "k" >= 0'),
  may('of', (v) => typeof v === 'string' && v.length <= 16, 'an envelope kind'),
  may('id', isId, 'an integer id >= 0'),
  mayS,
  need('d', isString, 'a string "d"'),
  mayEnd,
]

/** Longest method path a `call` may name (`p`). */
const MAX_PATH_LENGTH = 1024

/** A `call` that passes RULES.call and has none of its optional fields (`st`, `w`, `b`, `u`). */
function isPlainCall(env: Record<string, unknown>): boolean {
  const p = env.p
  return (
    isId(env.id) &&
    typeof p === 'string' &&
    p.length > 0 &&
    p.length <= MAX_PATH_LENGTH &&
    'a' in env &&
    env.st === undefined &&
    env.w === undefined &&
    env.b === undefined &&
    env.u === undefined
  )
}

/** The rules of each kind, checked in order; the first that fails names the problem. */
const RULES: Record<EnvelopeKind, Rule[]> = {
  hello: [
    need('v', (v) => typeof v === 'number', 'a numeric protocol version "v"'),
    may('impl', isString, 'a string'),
    may(
      'f',
      (v) => Array.isArray(v) && v.length <= 32 && v.every((x) => typeof x === 'string' && x.length <= 32),
      'a list of feature names',
    ),
  ],
  call: [
    needId,
    need(
      'p',
      (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_PATH_LENGTH,
      `a method path "p" of 1 to ${MAX_PATH_LENGTH} characters`,
    ),
    (env) => ('a' in env ? undefined : 'needs an argument list "a"'),
    may(
      'st',
      (v) => Array.isArray(v) && v.length <= 32 && v.every(isIndex) && new Set(v).size === v.length,
      'a list of distinct argument indexes',
    ),
    may('w', isCount, 'a positive integer'),
    mayB,
    mayU,
  ],
  ok: [needId, mayB, mayU],
  err: [
    needId,
    mayS,
    (env) => {
      const problem = wireErrorProblem(env.e, 'e')
      return problem === undefined ? undefined : `has a bad error: ${problem}`
    },
  ],
  next: [needId, mayS, mayB, mayU],
  end: [needId, mayS],
  credit: [needId, mayS, need('n', isCount, 'a positive integer "n"')],
  cancel: [needId, mayS, may('why', isString, 'a string')],
  event: [
    need(
      'name',
      (v) => typeof v === 'string' && v.length > 0 && v.length <= 256,
      'a name of 1 to 256 characters',
    ),
    mayU,
  ],
  chunk: piece,
  bin: [
    need('of', (v) => v === 'call' || v === 'ok' || v === 'next', '"of" = "call", "ok" or "next"'),
    needId,
    mayS,
    need(
      'i',
      (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 64,
      'a part index "i" from 0 to 63',
    ),
    need(
      'd',
      // The alphabet is checked where it is decoded (BlobInbox, decodeBase64Exact): a regular expression
      // here read every character of each piece once more, a third of a client's work on a binary result.
      (v) => typeof v === 'string' && v.length % 4 === 0,
      'base64 "d" (a multiple of 4 characters)',
    ),
    mayEnd,
  ],
  str: piece,
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
  // A call without optional fields, the envelope a host parses once per call, is checked by direct reads.
  // Through RULES each read was a keyed load of a field name that varies at one site (megamorphic) and
  // each rule a call of a closure: most of the 1.3k+0.9k instructions per call that callgrind put in
  // KeyedLoadIC and KeyedLoadIC_PolymorphicName on the host. Anything else, or a call that breaks a
  // rule, takes the rules, which name the problem.
  if (env.t === 'call' && isPlainCall(env)) return env as unknown as Envelope
  const id = isId(env.id) ? env.id : undefined
  // The envelope a client gets most, a small reply, passes RULES.ok ([needId, mayB, mayU]) checked here
  // by hand: the loop of rule closures costs a keyed load per rule that sees every field name of every kind.
  if (env.t === 'ok' && id !== undefined && env.b === undefined && env.u === undefined)
    return env as unknown as Envelope
  const rules =
    typeof env.t === 'string' && Object.hasOwn(RULES, env.t) ? RULES[env.t as EnvelopeKind] : undefined
  if (!rules)
    throw new ProtocolViolation(
      `unknown envelope kind ${describe(env.t)}; this end speaks protocol ${PROTOCOL_VERSION} ` +
        `(${Object.keys(RULES).join(', ')})`,
      id,
    )
  for (const rule of rules) {
    const problem = rule(env)
    if (problem !== undefined) throw new ProtocolViolation(`"${env.t}" ${problem}`, id)
  }
  return env as unknown as Envelope
}
