/**
 * Large strings as their own parts (protocol feature `str`, see PROTOCOL.md "String parts").
 *
 * An envelope over the transport's size limit used to travel as `chunk` pieces of its whole JSON text:
 * the sender stringified it once to measure and cut it and again per piece, and the receiver parsed every
 * piece and then the joined text a second time. Most such envelopes are large because of a few large
 * strings. Those strings now leave the envelope first as `str` pieces (each a slice of the string, as a
 * JSON string), and the envelope follows with a `0` where each string was and `u` naming where to put
 * it. A big string is then stringified once and parsed once on each side, as with raw framing.
 */
import { Ledger } from './ledger.js'
import { MAX_OPEN_MESSAGES, OPEN_MESSAGE_COST } from './limits.js'
import type { Envelope, StrEnvelope } from './protocol.js'
import { chunkOwner, Reassembler, type ReassemblyResult } from './reassembler.js'

/** Most strings taken out of one envelope; the rest stay in it (and are chunked with it if need be). */
export const MAX_STRING_PARTS = 16

/** Nodes the sender visits looking for large strings before it gives up (a shared-reference graph). */
const SEARCH_BUDGET = 100_000

/** The value left where a string was taken out. */
const PLACEHOLDER = 0

/** The envelope kinds that may carry string parts, and the key of their payload. */
const PAYLOAD_KEY: Partial<Record<Envelope['t'], string>> = { call: 'a', ok: 'r', next: 'r', event: 'd' }

/** One step of a path into an envelope: an object key or an array index. */
export type PathStep = string | number

/** A string taken out of an envelope, and the path (from the envelope's root) it was taken from. */
export interface TakenString {
  path: PathStep[]
  text: string
}

/**
 * Strings of at least `minLength` UTF-16 units taken out of `env`'s payload (at most
 * {@link MAX_STRING_PARTS}), with a copy of `env` that holds {@link PLACEHOLDER} in their place. The
 * envelope and the values in it are not modified: only the objects on a taken string's path are copied.
 * Undefined when nothing was taken.
 *
 * @example
 * const split = takeStrings({ t: 'ok', id: 1, r: 'x'.repeat(1 << 20) }, 65536)
 * // split.head = { t: 'ok', id: 1, r: 0 }, split.strings = [{ path: ['r'], text: 'xxx…' }]
 */
export function takeStrings(
  env: Envelope,
  minLength: number,
): { head: Envelope; strings: TakenString[] } | undefined {
  const key = PAYLOAD_KEY[env.t]
  if (key === undefined) return undefined
  const root = env as unknown as Record<string, unknown>
  const strings: TakenString[] = []
  const search = { left: SEARCH_BUDGET }
  const payload = take(root[key], minLength, [key], strings, search, 0)
  if (strings.length === 0) return undefined
  return { head: { ...env, [key]: payload } as Envelope, strings }
}

/**
 * Whether `env`'s payload is, or directly holds (as one of its first 16 array elements), a string of at
 * least `minLength` units: a few `typeof` tests, so a sender can go straight to `takeStrings` for the
 * common large payload (one big argument or result) without stringifying the whole envelope first.
 */
export function holdsLargeString(env: Envelope, minLength: number): boolean {
  // Read directly, not as PAYLOAD_KEY[env.t]: this runs for every envelope a text transport sends, where
  // two keyed loads of names that vary are a megamorphic lookup each.
  const t = env.t
  const v = t === 'ok' || t === 'next' ? env.r : t === 'call' ? env.a : t === 'event' ? env.d : undefined
  if (typeof v === 'string') return v.length >= minLength
  if (!Array.isArray(v)) return false
  for (let i = 0; i < v.length && i < 16; i++) {
    const x = v[i]
    if (typeof x === 'string' && x.length >= minLength) return true
  }
  return false
}

function take(
  v: unknown,
  min: number,
  path: PathStep[],
  out: TakenString[],
  search: { left: number },
  depth: number,
): unknown {
  if (out.length >= MAX_STRING_PARTS || --search.left < 0 || depth > 64) return v
  if (typeof v === 'string') {
    if (v.length < min) return v
    out.push({ path: path.slice(), text: v })
    return PLACEHOLDER
  }
  if (typeof v !== 'object' || v === null) return v
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      path.push(i)
      const r = take(v[i], min, path, out, search, depth + 1)
      path.pop()
      if (r !== v[i]) {
        copy ??= v.slice()
        copy[i] = r
      }
    }
    return copy ?? v
  }
  // Only what JSON.stringify prints as its own keys: plain objects (the codec's JSON output is plain).
  const proto = Object.getPrototypeOf(v)
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  )
    return v
  let copy: Record<string, unknown> | undefined
  for (const k of Object.keys(v)) {
    const value = (v as Record<string, unknown>)[k]
    path.push(k)
    const r = take(value, min, path, out, search, depth + 1)
    path.pop()
    if (r !== value) {
      copy ??= { ...v }
      // defineProperty, not assignment: an own "__proto__" key must stay a key.
      Object.defineProperty(copy, k, { value: r, writable: true, enumerable: true, configurable: true })
    }
  }
  return copy ?? v
}

/**
 * Puts the strings named by `env.u` (taken from `inbox`) back where they were taken out, and removes `u`.
 * Returns what is wrong (a reference to a string that did not arrive, a path that does not lead to a
 * placeholder in the payload), or undefined when every string was placed.
 *
 * @example
 * const problem = placeStrings(env, inbox) // env.r is the string again
 */
export function placeStrings(env: Envelope, inbox: StringInbox): string | undefined {
  const e = env as unknown as Record<string, unknown>
  const refs = e.u as Array<[number, ...PathStep[]]>
  delete e.u
  // Every referenced string is taken out of the inbox even if an earlier one fails, so none is left held.
  const texts = refs.map((r) => inbox.take(r[0]))
  // One message's strings count together, each as its JSON text. A call's are counted as they arrive
  // (StringInbox.add); an event's pieces name no call, so its strings are counted here, together.
  let units = 0
  for (const text of texts) units += text === undefined ? 0 : text.length + 2
  if (units > inbox.maxBytes)
    return `"${env.t}" has ${units} units of string parts, over maxReassembledBytes (${inbox.maxBytes}); send less at once, or raise it`
  const key = PAYLOAD_KEY[env.t]
  for (let i = 0; i < refs.length; i++) {
    const [k, ...path] = refs[i]!
    const text = texts[i]
    if (text === undefined)
      return `"${env.t}" refers to string part ${k}, which did not arrive (complete) before it`
    if (path[0] !== key)
      return `"${env.t}" has a string part path that does not start at its payload "${key}"`
    let parent: unknown = e
    for (let j = 0; j < path.length - 1; j++) {
      parent = ownValue(parent, path[j]!)
      if (typeof parent !== 'object' || parent === null)
        return `"${env.t}" has a string part path ${JSON.stringify(path)} that leads through a non-object`
    }
    const last = path[path.length - 1]!
    if (ownValue(parent, last) !== PLACEHOLDER)
      return `"${env.t}" has a string part path ${JSON.stringify(path)} that does not lead to a placeholder 0`
    Object.defineProperty(parent, last, { value: text, writable: true, enumerable: true, configurable: true })
  }
  return undefined
}

function ownValue(parent: unknown, step: PathStep): unknown {
  if (typeof parent !== 'object' || parent === null) return undefined
  if (Array.isArray(parent) !== (typeof step === 'number')) return undefined
  return Object.hasOwn(parent, step) ? (parent as Record<PathStep, unknown>)[step] : undefined
}

interface Held {
  text: string
  charged: number
  owner: string | undefined
}

/**
 * Receives `str` pieces: puts each string together (a {@link Reassembler}, with its size limit, ledger
 * charges per piece and per open message) and holds the finished ones, still charged to the ledger and
 * still counted as open messages, until the envelope that refers to them takes them.
 *
 * `maxBytes` bounds one message, as for a chunked message: the strings of one envelope count together,
 * each as its JSON text (quotes included), so sixteen strings just under the limit do not make a message
 * sixteen times over it. A call's (its `of`, `id` and `s`) are counted as they arrive; an event's, whose
 * pieces name no call, when its envelope takes them (`placeStrings`).
 */
export class StringInbox {
  readonly #held = new Map<number, Held>()
  readonly #assembling: Reassembler
  /** Units received so far for each envelope of a call, over all of its strings, until it takes them. */
  readonly #ownerUnits = new Map<string, number>()
  #heldUnits = 0

  constructor(
    /** Most units of string parts one message may carry together. */
    readonly maxBytes: number,
    private readonly ledger: Ledger = new Ledger(Number.POSITIVE_INFINITY),
    maxOpen = MAX_OPEN_MESSAGES,
  ) {
    this.#assembling = new Reassembler(maxBytes, ledger, maxOpen, () => this.#held.size)
  }

  /** Units of string held, partial or finished. */
  get pendingBytes(): number {
    return this.#assembling.pendingBytes + this.#heldUnits
  }

  /** Strings partly received or received but not yet taken. */
  get open(): number {
    return this.#assembling.open + this.#held.size
  }

  /** `held`: the string is complete and waits for its envelope. */
  add(piece: StrEnvelope): Exclude<ReassemblyResult, { kind: 'complete' }> | { kind: 'held' } {
    // A key used again replaces what it held (a peer gains nothing: the old string is released first).
    const old = this.#held.get(piece.k)
    if (old) this.#release(piece.k, old)
    const r = this.#assembling.add(piece)
    if (r.kind === 'ignored' || r.kind === 'refused') return r
    // Events name no call: each of their strings is bounded alone here, and all together by placeStrings.
    const owner = piece.id === undefined ? undefined : chunkOwner(piece)
    if (owner !== undefined) {
      const units = (this.#ownerUnits.get(owner) ?? 0) + piece.d.length + (piece.end === 1 ? 2 : 0)
      if (units > this.maxBytes) {
        this.dropOwner(owner) // this string's partial too: its later pieces are dropped unread
        return { kind: 'refused', size: units, why: 'size' }
      }
      this.#ownerUnits.set(owner, units)
    }
    if (r.kind !== 'complete') return r
    const charged = r.text.length + OPEN_MESSAGE_COST
    if (!this.ledger.charge('partial', charged))
      return { kind: 'refused', size: r.text.length, why: 'budget' }
    this.#held.set(piece.k, { text: r.text, charged, owner: chunkOwner(piece) })
    this.#heldUnits += r.text.length
    return { kind: 'held' }
  }

  /** The finished string `k`, no longer held; undefined when there is none. */
  take(k: number): string | undefined {
    const h = this.#held.get(k)
    if (!h) return undefined
    // The envelope came: its message is complete, and the owner's next one (a stream item) starts at 0.
    if (h.owner !== undefined) this.#ownerUnits.delete(h.owner)
    this.#release(k, h)
    return h.text
  }

  /** Frees the strings (partial or finished) of envelope `of:id:s`, a call that ended here. */
  dropOwner(owner: string): void {
    this.#ownerUnits.delete(owner)
    this.#assembling.dropOwner(owner)
    for (const [k, h] of this.#held) if (h.owner === owner) this.#release(k, h)
  }

  clear(): void {
    this.#ownerUnits.clear()
    this.#assembling.clear()
    for (const [k, h] of this.#held) this.#release(k, h)
  }

  #release(k: number, h: Held): void {
    this.#held.delete(k)
    this.#heldUnits -= h.text.length
    this.ledger.release('partial', h.charged)
  }
}
