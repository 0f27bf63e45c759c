import type { CloseInfo, Transport, TransportSink } from './transport.js'
import { utf8Length } from './utf8.js'

/**
 * Envelope tracing: a {@link Transport} wrapper that writes one line per envelope in and out (kind, id,
 * method, size, time since its call started, outcome). It sits outside the session, so the engine knows
 * nothing of it, and when tracing is off nothing is wrapped: the cost is one `if` when a session starts.
 *
 * It decodes no payload: objects are read field by field, and JSON text (stdio) is scanned for the few
 * top-level keys it needs, skipping over arguments, results and chunk data without building them.
 */

/** Where trace lines go; `true` means the endpoint's default (stderr on the host, `console.warn` on the client). */
export type TraceOption = boolean | ((line: string) => void)

export interface TraceOptions {
  /** How lines name this end, e.g. `host "com.acme.app"`. */
  side: string
  log: (line: string) => void
  /** Milliseconds, monotonic. @default performance.now */
  now?: () => number
  /** UTF-8 size of a string (Node's `Buffer.byteLength` is far faster on big messages). @default utf8Length */
  byteLength?: (s: string) => number
}

/** Calls whose start is remembered at once; past it the oldest is forgotten (its later lines show no time). */
export const MAX_TRACED_CALLS = 10_000

/** What a trace line needs from one envelope. */
interface Peek {
  t: string
  id: number | undefined
  s: number | undefined
  p: string | undefined
  of: string | undefined
  end: boolean
  why: string | undefined
  code: string | undefined
  name: string | undefined
  parts: number
  size: number
}

interface Started {
  at: number
  method: string
  /** Binary parts of the unary result still to come (the call ends with the last one). */
  partsLeft: number
}

/**
 * Wraps a transport so that every envelope it carries is traced. Returns the same interface; the session
 * cannot tell the difference.
 *
 * @example
 * const transport = traceTransport(new StdioTransport(stdin, stdout, opts), {
 *   side: 'host "com.acme.app"',
 *   log: (line) => process.stderr.write(`${line}\n`),
 * })
 */
export function traceTransport(inner: Transport, options: TraceOptions): Transport {
  const tracer = new Tracer(options)
  return {
    kind: inner.kind,
    get maxMessageBytes() {
      return inner.maxMessageBytes
    },
    get pieceBytes() {
      return inner.pieceBytes
    },
    start(sink: TransportSink) {
      inner.start({
        message(value: unknown) {
          tracer.message('<-', value)
          sink.message(value)
        },
        invalid(problem: string) {
          tracer.line(`<- invalid message: ${problem}`)
          sink.invalid(problem)
        },
        closed(info: CloseInfo) {
          tracer.line(`closed: ${info.message}${info.code ? ` [${info.code}]` : ''}`)
          tracer.clear()
          sink.closed(info)
        },
        drain() {
          sink.drain()
        },
      })
    },
    send(message: string | object, bytes?: number) {
      tracer.message('->', message)
      return inner.send(message, bytes)
    },
    close() {
      tracer.clear()
      inner.close()
    },
  }
}

class Tracer {
  /** Key: `l<id>` for calls this side started, `r<id>` for calls the other side started. */
  private readonly calls = new Map<string, Started>()
  private readonly now: () => number

  constructor(private readonly o: TraceOptions) {
    this.now = o.now ?? (() => performance.now())
  }

  line(text: string): void {
    this.o.log(`nmrpc trace ${this.o.side} ${text}`)
  }

  clear(): void {
    this.calls.clear()
  }

  message(dir: '->' | '<-', message: unknown): void {
    // Tracing must never break the traffic it watches: a message it cannot read is traced as such.
    let peeks: Peek[]
    try {
      peeks = peekMessage(message, this.o.byteLength ?? utf8Length)
    } catch (e) {
      this.line(`${dir} (unreadable for trace: ${e instanceof Error ? e.message : String(e)})`)
      return
    }
    for (const p of peeks) this.envelope(dir, p)
  }

  private envelope(dir: '->' | '<-', p: Peek): void {
    const kind = p.t === 'chunk' || p.t === 'bin' ? (p.of ?? '?') : p.t
    let label = p.t === 'chunk' || p.t === 'bin' ? `${p.t}(${kind})` : p.t
    if (p.s !== undefined) label += ` s=${p.s}`
    if (p.id === undefined) {
      const what = p.t === 'event' ? ` ${p.name ?? '?'}` : ''
      this.line(`${dir} ${label}${what} ${p.size} B`)
      return
    }
    // Whose id space the id is in: the sender's for its calls and its argument streams, else the receiver's.
    const bySender =
      kind === 'call' ||
      (p.s !== undefined ? kind !== 'credit' && kind !== 'cancel' : kind === 'credit' || kind === 'cancel')
    const key = (bySender === (dir === '->') ? 'l' : 'r') + p.id
    const now = this.now()
    let started = this.calls.get(key)
    if (p.t === 'call') {
      started = { at: now, method: p.p ?? '?', partsLeft: 0 }
      if (this.calls.size >= MAX_TRACED_CALLS) {
        const oldest = this.calls.keys().next().value
        if (oldest !== undefined) this.calls.delete(oldest)
      }
      this.calls.set(key, started)
    }
    const method = started ? ` ${started.method}` : ''
    const elapsed = started ? ` +${(now - started.at).toFixed(1)} ms` : ''
    const outcome = started ? this.outcome(key, kind, p, started) : undefined
    this.line(`${dir} ${label} #${p.id}${method} ${p.size} B${elapsed}${outcome ? ` ${outcome}` : ''}`)
  }

  /** The outcome this envelope gives its call, if it ends it; forgets the call then. */
  private outcome(key: string, kind: string, p: Peek, started: Started): string | undefined {
    if (p.s !== undefined) return undefined
    let result: string | undefined
    if (p.t === 'bin') {
      if (kind === 'ok' && p.end && --started.partsLeft === 0) result = 'ok'
    } else if (p.t === 'chunk' ? p.end : true) {
      if (kind === 'ok') {
        if (p.t === 'ok' && p.parts > 0) started.partsLeft = p.parts
        else result = 'ok'
      } else if (kind === 'err') result = p.code ? `error ${p.code}` : 'error'
      else if (kind === 'end') result = 'end'
      else if (kind === 'cancel') result = `cancelled${p.why ? ` (${p.why})` : ''}`
    }
    if (result !== undefined) this.calls.delete(key)
    return result
  }
}

/** The envelopes of one message (a batch is an array of them), read without decoding payloads. */
function peekMessage(message: unknown, size: (s: string) => number): Peek[] {
  if (typeof message === 'string') return peekText(message, size)
  if (Array.isArray(message)) return message.map((m) => peekObject(m, size))
  return [peekObject(message, size)]
}

function blank(size: number): Peek {
  return {
    t: '?',
    id: undefined,
    s: undefined,
    p: undefined,
    of: undefined,
    end: false,
    why: undefined,
    code: undefined,
    name: undefined,
    parts: 0,
    size,
  }
}

function peekObject(value: unknown, byteLength: (s: string) => number): Peek {
  let size = 0
  try {
    size = byteLength(JSON.stringify(value) ?? '')
  } catch {
    // a size is only informative
  }
  const out = blank(size)
  if (typeof value !== 'object' || value === null) return out
  const v = value as Record<string, unknown>
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined)
  const num = (x: unknown) => (typeof x === 'number' ? x : undefined)
  out.t = str(v.t) ?? '?'
  out.id = num(v.id)
  out.s = num(v.s)
  out.p = str(v.p)
  out.of = str(v.of)
  out.end = v.end === 1
  out.why = str(v.why)
  out.name = str(v.name)
  out.parts = Array.isArray(v.b) ? v.b.length : 0
  if (typeof v.e === 'object' && v.e !== null) out.code = str((v.e as Record<string, unknown>).code)
  return out
}

/** Keys whose values a trace line shows; every other value is skipped over, not parsed. */
const SMALL_KEYS = new Set(['t', 'id', 's', 'p', 'of', 'end', 'why', 'name'])

function peekText(text: string, byteLength: (s: string) => number): Peek[] {
  let i = skipSpace(text, 0)
  if (text[i] !== '[') return [peekTextObject(text, i, byteLength).peek]
  const out: Peek[] = []
  i = skipSpace(text, i + 1)
  while (i < text.length && text[i] !== ']') {
    const { peek, end } = peekTextObject(text, i, byteLength)
    out.push(peek)
    i = skipSpace(text, end)
    if (text[i] === ',') i = skipSpace(text, i + 1)
  }
  return out
}

function peekTextObject(
  text: string,
  start: number,
  byteLength: (s: string) => number,
): { peek: Peek; end: number } {
  const peek = blank(0)
  if (text[start] !== '{') {
    const end = skipValue(text, start)
    peek.size = byteLength(text.slice(start, end))
    return { peek, end }
  }
  const end = eachKey(text, start, (key, at, valueEnd) => {
    if (SMALL_KEYS.has(key)) {
      const raw = JSON.parse(text.slice(at, valueEnd)) as unknown
      const r = peek as unknown as Record<string, unknown>
      if (key === 'end') peek.end = raw === 1
      else if (typeof raw === 'string' || typeof raw === 'number') r[key] = raw
    } else if (key === 'b' && text[at] === '[') {
      peek.parts = (JSON.parse(text.slice(at, valueEnd)) as unknown[]).length
    } else if (key === 'e' && text[at] === '{') {
      eachKey(text, at, (k, a, b) => {
        if (k === 'code' && text[a] === '"') peek.code = JSON.parse(text.slice(a, b)) as string
      })
    }
  })
  peek.size = byteLength(text.slice(start, end))
  return { peek, end }
}

/** Calls `fn` for each key of the object at `start` with its value's span; returns the index after `}`. */
function eachKey(text: string, start: number, fn: (key: string, at: number, end: number) => void): number {
  let i = skipSpace(text, start + 1)
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipString(text, i)
    const key = JSON.parse(text.slice(i, keyEnd)) as string
    i = skipSpace(text, keyEnd)
    if (text[i] !== ':') throw new Error(`expected ":" at ${i}`)
    const at = skipSpace(text, i + 1)
    const valueEnd = skipValue(text, at)
    fn(key, at, valueEnd)
    i = skipSpace(text, valueEnd)
    if (text[i] === ',') i = skipSpace(text, i + 1)
  }
  if (i >= text.length) throw new Error('unterminated object')
  return i + 1
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    i++
  }
  return i
}

/** Index after the string starting at `i` (a `"`); found with indexOf, so long strings cost little. */
function skipString(text: string, i: number): number {
  if (text[i] !== '"') throw new Error(`expected a string at ${i}`)
  let j = i + 1
  for (;;) {
    const q = text.indexOf('"', j)
    if (q < 0) throw new Error('unterminated string')
    let back = 0
    while (text.charCodeAt(q - 1 - back) === 0x5c) back++
    if (back % 2 === 0) return q + 1
    j = q + 1
  }
}

function skipValue(text: string, i: number): number {
  const c = text[i]
  if (c === '"') return skipString(text, i)
  if (c === '{' || c === '[') {
    let depth = 0
    let j = i
    while (j < text.length) {
      const d = text[j]
      if (d === '"') {
        j = skipString(text, j)
        continue
      }
      if (d === '{' || d === '[') depth++
      else if (d === '}' || d === ']') {
        depth--
        if (depth === 0) return j + 1
      }
      j++
    }
    throw new Error('unterminated value')
  }
  let j = i
  while (j < text.length && !',}] \n\r\t'.includes(text[j]!)) j++
  if (j === i) throw new Error(`expected a value at ${i}`)
  return j
}
