import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Envelope, ProtocolViolation, parseEnvelope } from '../../src/shared/protocol.js'
import { runs } from './runs.js'

const KINDS = ['hello', 'call', 'ok', 'err', 'next', 'end', 'credit', 'cancel', 'event', 'chunk'] as const

/** Parses `value` as JSON from the wire would be, and returns the violation it raised. */
function violation(value: unknown): ProtocolViolation {
  try {
    parseEnvelope(value)
  } catch (e) {
    if (e instanceof ProtocolViolation) return e
    throw e
  }
  throw new Error(`expected a ProtocolViolation for ${JSON.stringify(value)}`)
}

const wire = (text: string): unknown => JSON.parse(text)

describe('parseEnvelope accepts every kind', () => {
  const minimal: Record<(typeof KINDS)[number], string> = {
    hello: '{"t":"hello","v":1}',
    call: '{"t":"call","id":0,"p":"ping","a":[]}',
    ok: '{"t":"ok","id":1}',
    err: '{"t":"err","id":1,"e":{"name":"Error","message":"m","code":"HANDLER_ERROR"}}',
    next: '{"t":"next","id":1}',
    end: '{"t":"end","id":1}',
    credit: '{"t":"credit","id":1,"n":1}',
    cancel: '{"t":"cancel","id":1}',
    event: '{"t":"event","name":"e"}',
    chunk: '{"t":"chunk","k":0,"d":""}',
  }
  const full: Record<(typeof KINDS)[number], string> = {
    hello: '{"t":"hello","v":1,"impl":"nmrpc/0.1.0","w":16,"future":true}',
    call: `{"t":"call","id":${Number.MAX_SAFE_INTEGER},"p":"${'a'.repeat(1024)}","a":[1,{"b":null}],"x":{"values":{}},"st":[0,31,255],"w":1}`,
    ok: '{"t":"ok","id":1,"r":{"deep":[1,2]},"x":{"values":["Date"]}}',
    err:
      '{"t":"err","id":1,"s":255,"e":{"name":"RangeError","message":"b is 0","code":"ENOENT","data":{"p":"/x"},' +
      '"x":{"values":{}},"stack":"RangeError: b is 0\\n    at f","cause":{"name":"Error","message":"c","code":"X"}}}',
    next: '{"t":"next","id":1,"s":0,"r":"item","x":{"values":["undefined"]}}',
    end: '{"t":"end","id":1,"s":3}',
    credit: `{"t":"credit","id":1,"s":0,"n":${Number.MAX_SAFE_INTEGER}}`,
    cancel: '{"t":"cancel","id":1,"s":2,"why":"timeout"}',
    event: `{"t":"event","name":"${'n'.repeat(256)}","d":[1],"x":{"values":{}}}`,
    chunk: '{"t":"chunk","k":9,"of":"ok","id":3,"s":1,"d":"{\\"t\\":","end":1}',
  }

  it.each(KINDS)('%s, minimal and full, returned as is', (kind) => {
    for (const text of [minimal[kind], full[kind]]) {
      const value = wire(text)
      const env: Envelope = parseEnvelope(value)
      expect(env).toBe(value)
      expect(env.t).toBe(kind)
    }
  })

  it('err with a cause chain 8 deep is accepted, 9 deep refused', () => {
    const chain = (n: number): unknown =>
      n === 0 ? undefined : { name: 'E', message: `${n}`, code: 'C', cause: chain(n - 1) }
    expect(() => parseEnvelope({ t: 'err', id: 1, e: chain(9) })).not.toThrow()
    expect(violation({ t: 'err', id: 1, e: chain(10) }).message).toMatch(
      /^"err" has a bad error: "e.cause.cause.cause.cause.cause.cause.cause.cause.cause" is a cause nested more than 8 deep$/,
    )
  })
})

describe('parseEnvelope refuses malformed envelopes, naming kind, field and value', () => {
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['an array', [{ t: 'ok', id: 1 }]],
    ['a string', 'hello'],
    ['no kind', { id: 4 }],
    ['an unknown kind', { t: 'rpc', id: 4 }],
    ['a kind of the wrong type', { t: 1 }],
    ['hello without v', { t: 'hello' }],
    ['hello with v a string', { t: 'hello', v: '1' }],
    ['hello with impl a number', { t: 'hello', v: 1, impl: 2 }],
    ['call without id', { t: 'call', p: 'a', a: [] }],
    ['call with a negative id', { t: 'call', id: -1, p: 'a', a: [] }],
    ['call with a fractional id', { t: 'call', id: 1.5, p: 'a', a: [] }],
    ['call with an unsafe id', { t: 'call', id: 2 ** 53, p: 'a', a: [] }],
    ['call with a string id', { t: 'call', id: '1', p: 'a', a: [] }],
    ['call with an empty path', { t: 'call', id: 5, p: '', a: [] }],
    ['call with a path of 1025 characters', { t: 'call', id: 5, p: 'a'.repeat(1025), a: [] }],
    ['call with a numeric path', { t: 'call', id: 5, p: 7, a: [] }],
    ['call without arguments', { t: 'call', id: 5, p: 'a' }],
    ['call with st not a list', { t: 'call', id: 5, p: 'a', a: [], st: 0 }],
    ['call with st index 256', { t: 'call', id: 5, p: 'a', a: [], st: [256] }],
    [
      'call with 33 stream arguments',
      { t: 'call', id: 5, p: 'a', a: [], st: Array.from({ length: 33 }, (_, i) => i) },
    ],
    ['call with window 0', { t: 'call', id: 5, p: 'a', a: [], w: 0 }],
    ['ok without id', { t: 'ok', r: 1 }],
    ['err without e', { t: 'err', id: 6 }],
    ['err with a numeric code', { t: 'err', id: 6, e: { name: 'E', message: 'm', code: 1 } }],
    ['err with a numeric stack', { t: 'err', id: 6, e: { name: 'E', message: 'm', code: 'C', stack: 1 } }],
    ['err with a bad cause', { t: 'err', id: 6, e: { name: 'E', message: 'm', code: 'C', cause: 'x' } }],
    ['err with s -1', { t: 'err', id: 6, s: -1, e: { name: 'E', message: 'm', code: 'C' } }],
    ['next with a null id', { t: 'next', id: null }],
    ['next with s 1.5', { t: 'next', id: 7, s: 1.5 }],
    ['end with s a string', { t: 'end', id: 7, s: '0' }],
    ['credit without n', { t: 'credit', id: 8 }],
    ['credit with n 0', { t: 'credit', id: 8, n: 0 }],
    ['credit with s 300', { t: 'credit', id: 8, s: 300, n: 1 }],
    ['cancel with why a number', { t: 'cancel', id: 9, why: 3 }],
    ['cancel without id', { t: 'cancel' }],
    ['event without name', { t: 'event', d: 1 }],
    ['event with a name of 257 characters', { t: 'event', name: 'n'.repeat(257) }],
    ['chunk without k', { t: 'chunk', d: '' }],
    ['chunk with d a number', { t: 'chunk', k: 1, id: 10, d: 5 }],
    ['chunk with a long kind', { t: 'chunk', k: 1, of: 'x'.repeat(17), d: '' }],
    ['chunk with a bad id', { t: 'chunk', k: 1, id: -3, d: '' }],
    ['chunk with end true', { t: 'chunk', k: 1, id: 10, d: '', end: true }],
    ['bin of an err', { t: 'bin', of: 'err', id: 11, i: 0, d: '' }],
    ['bin with part index 64', { t: 'bin', of: 'ok', id: 11, i: 64, d: '' }],
    ['bin with d not base64', { t: 'bin', of: 'ok', id: 11, i: 0, d: 'abc' }],
    ['bin with end 2', { t: 'bin', of: 'next', id: 11, s: 0, i: 0, d: 'AAAA', end: 2 }],
    ['str without d', { t: 'str', k: 2, of: 'ok', id: 12 }],
    ['ok with empty binary sizes', { t: 'ok', id: 13, b: [] }],
    ['next with a string ref of no path', { t: 'next', id: 13, u: [[0]] }],
  ]

  it('every case, with its exact message and id', () => {
    const got = cases.map(([what, value]) => {
      const v = violation(value)
      expect(v).toBeInstanceOf(ProtocolViolation)
      expect(v.name).toBe('ProtocolViolation')
      return `${what} -> ${v.message}${v.id === undefined ? '' : ` [id ${v.id}]`}`
    })
    expect(got).toMatchInlineSnapshot(`
      [
        "null -> a message must be a JSON object, got null",
        "an array -> a message must be a JSON object, got [{"t":"ok","id":1}]",
        "a string -> a message must be a JSON object, got "hello"",
        "no kind -> unknown envelope kind undefined; this end speaks protocol 1 (hello, call, ok, err, next, end, credit, cancel, event, chunk, bin, str) [id 4]",
        "an unknown kind -> unknown envelope kind "rpc"; this end speaks protocol 1 (hello, call, ok, err, next, end, credit, cancel, event, chunk, bin, str) [id 4]",
        "a kind of the wrong type -> unknown envelope kind 1; this end speaks protocol 1 (hello, call, ok, err, next, end, credit, cancel, event, chunk, bin, str)",
        "hello without v -> "hello" needs a numeric protocol version "v", got undefined",
        "hello with v a string -> "hello" needs a numeric protocol version "v", got "1"",
        "hello with impl a number -> "hello" envelope has a bad "impl" (2): a string",
        "call without id -> "call" needs an integer id >= 0, got undefined",
        "call with a negative id -> "call" needs an integer id >= 0, got -1",
        "call with a fractional id -> "call" needs an integer id >= 0, got 1.5",
        "call with an unsafe id -> "call" needs an integer id >= 0, got 9007199254740992",
        "call with a string id -> "call" needs an integer id >= 0, got "1"",
        "call with an empty path -> "call" needs a method path "p" of 1 to 1024 characters, got "" [id 5]",
        "call with a path of 1025 characters -> "call" needs a method path "p" of 1 to 1024 characters, got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... [id 5]",
        "call with a numeric path -> "call" needs a method path "p" of 1 to 1024 characters, got 7 [id 5]",
        "call without arguments -> "call" needs an argument list "a" [id 5]",
        "call with st not a list -> "call" envelope has a bad "st" (0): a list of distinct argument indexes [id 5]",
        "call with st index 256 -> "call" envelope has a bad "st" ([256]): a list of distinct argument indexes [id 5]",
        "call with 33 stream arguments -> "call" envelope has a bad "st" ([0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28...): a list of distinct argument indexes [id 5]",
        "call with window 0 -> "call" envelope has a bad "w" (0): a positive integer [id 5]",
        "ok without id -> "ok" needs an integer id >= 0, got undefined",
        "err without e -> "err" has a bad error: "e" must be an object with string name, message and code, got undefined [id 6]",
        "err with a numeric code -> "err" has a bad error: "e.code" must be a string, got 1 [id 6]",
        "err with a numeric stack -> "err" has a bad error: "e.stack" must be a string, got 1 [id 6]",
        "err with a bad cause -> "err" has a bad error: "e.cause" must be an object with string name, message and code, got "x" [id 6]",
        "err with s -1 -> "err" envelope has a bad "s" (-1): an argument index [id 6]",
        "next with a null id -> "next" needs an integer id >= 0, got null",
        "next with s 1.5 -> "next" envelope has a bad "s" (1.5): an argument index [id 7]",
        "end with s a string -> "end" envelope has a bad "s" ("0"): an argument index [id 7]",
        "credit without n -> "credit" needs a positive integer "n", got undefined [id 8]",
        "credit with n 0 -> "credit" needs a positive integer "n", got 0 [id 8]",
        "credit with s 300 -> "credit" envelope has a bad "s" (300): an argument index [id 8]",
        "cancel with why a number -> "cancel" envelope has a bad "why" (3): a string [id 9]",
        "cancel without id -> "cancel" needs an integer id >= 0, got undefined",
        "event without name -> "event" needs a name of 1 to 256 characters, got undefined",
        "event with a name of 257 characters -> "event" needs a name of 1 to 256 characters, got "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...",
        "chunk without k -> "chunk" needs an integer key "k" >= 0, got undefined",
        "chunk with d a number -> "chunk" needs a string "d", got 5 [id 10]",
        "chunk with a long kind -> "chunk" envelope has a bad "of" ("xxxxxxxxxxxxxxxxx"): an envelope kind",
        "chunk with a bad id -> "chunk" envelope has a bad "id" (-3): an integer id >= 0",
        "chunk with end true -> "chunk" envelope has a bad "end" (true): the number 1 [id 10]",
        "bin of an err -> "bin" needs "of" = "call", "ok" or "next", got "err" [id 11]",
        "bin with part index 64 -> "bin" needs a part index "i" from 0 to 63, got 64 [id 11]",
        "bin with d not base64 -> "bin" needs base64 "d" (a multiple of 4 characters), got "abc" [id 11]",
        "bin with end 2 -> "bin" envelope has a bad "end" (2): the number 1 [id 11]",
        "str without d -> "str" needs a string "d", got undefined [id 12]",
        "ok with empty binary sizes -> "ok" envelope has a bad "b" ([]): a list of 1 to 64 byte sizes [id 13]",
        "next with a string ref of no path -> "next" envelope has a bad "u" ([[0]]): a list of 1 to 16 string part references [k, ...path] [id 13]",
      ]
    `)
  })

  it('carries the id whenever the envelope had a valid one', () => {
    for (const [, value] of cases) {
      const id = (value as { id?: unknown } | null)?.id
      const valid = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0
      expect(violation(value).id).toBe(valid ? id : undefined)
    }
  })

  it('keeps messages short however large the offending value', () => {
    const v = violation({ t: 'call', id: 1, p: 'x'.repeat(1_000_000), a: [] })
    expect(v.message.length).toBeLessThan(200)
    expect(v.message).toMatchInlineSnapshot(
      `""call" needs a method path "p" of 1 to 1024 characters, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."`,
    )
  })
})

describe('parseEnvelope under fuzzing', () => {
  /** Runs parseEnvelope and fails on anything thrown that is not a ProtocolViolation. */
  function survive(value: unknown) {
    try {
      const env = parseEnvelope(value)
      expect(env).toBe(value)
      expect(KINDS).toContain(env.t)
    } catch (e) {
      if (!(e instanceof ProtocolViolation)) throw e
      expect(e.message.length).toBeLessThan(400)
    }
  }

  it('fc.anything() only ever gives an envelope or a ProtocolViolation (property)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withNullPrototype: true,
          withBoxedValues: true,
        }),
        survive,
      ),
      { numRuns: runs(10_000) },
    )
  })

  it('fc.jsonValue() only ever gives an envelope or a ProtocolViolation (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), survive), { numRuns: runs(10_000) })
  })

  it('envelope-shaped objects with random field values (property)', () => {
    const field = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer(),
      fc.constantFrom(-1, 0, 1, 1.5, 255, 256, 2 ** 53, Number.MAX_SAFE_INTEGER, '', 'x', null, true),
      fc.bigInt(),
    )
    const shaped = fc.record(
      {
        t: fc.oneof(fc.constantFrom(...KINDS), fc.string()),
        id: field,
        v: field,
        p: fc.oneof(field, fc.string({ maxLength: 1100 })),
        a: field,
        s: field,
        n: field,
        k: field,
        d: fc.oneof(field, fc.string()),
        e: fc.oneof(field, fc.record({ name: field, message: field, code: field, cause: field })),
        name: fc.oneof(field, fc.string({ maxLength: 300 })),
        st: fc.oneof(field, fc.array(field, { maxLength: 40 })),
        w: field,
        why: field,
        of: field,
        end: field,
        impl: field,
      },
      { requiredKeys: ['t'] },
    )
    let accepted = 0
    fc.assert(
      fc.property(shaped, (v) => {
        try {
          parseEnvelope(v)
          accepted++
        } catch (e) {
          if (!(e instanceof ProtocolViolation)) throw e
        }
      }),
      { numRuns: runs(20_000) },
    )
    // The generator must reach the accepting branches too, or the property proves little.
    expect(accepted).toBeGreaterThan(0)
  })

  it('JSON nested 100,000 deep: JSON.parse copes, and parseEnvelope neither crashes nor walks it', () => {
    const deepArray = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`
    // Documented: V8's JSON.parse is not recursive, so this text parses (JSON.stringify of it is what overflows).
    const parsedA = JSON.parse(deepArray) as unknown
    const parsedO = JSON.parse(deepObject) as unknown
    expect(() => JSON.stringify(parsedA)).toThrow(RangeError)

    // In a payload: accepted without looking inside.
    const call = wire(`{"t":"call","id":1,"p":"echo","a":${deepArray}}`)
    expect(parseEnvelope(call)).toBe(call)
    const ok = wire(`{"t":"ok","id":2,"r":${deepObject}}`)
    expect(parseEnvelope(ok)).toBe(ok)
    // In a checked field: refused with a message that could not print the value.
    expect(violation({ t: 'call', id: parsedA, p: 'x', a: [] }).message).toMatchInlineSnapshot(
      `""call" needs an integer id >= 0, got object"`,
    )
    expect(violation({ t: 'err', id: 3, e: parsedO }).message).toMatchInlineSnapshot(
      `""err" has a bad error: "e.name" must be a string, got undefined"`,
    )
    expect(violation({ t: 'credit', id: 3, n: parsedO }).message).toMatchInlineSnapshot(
      `""credit" needs a positive integer "n", got object"`,
    )
    // A cause chain 100,000 deep is refused after a bounded walk.
    let cause: unknown = { name: 'E', message: 'm', code: 'C' }
    for (let i = 0; i < 100_000; i++) cause = { name: 'E', message: 'm', code: 'C', cause }
    expect(violation({ t: 'err', id: 4, e: cause }).id).toBe(4)
  })

  it('a huge array in a checked field is refused without walking it', () => {
    const st = new Array(10_000_000).fill(0)
    expect(violation({ t: 'call', id: 1, p: 'x', a: [], st }).message).toMatch(/bad "st"/)
  })
})

describe('ProtocolViolation', () => {
  it('captures no stack (one is made per bad envelope a peer sends) and leaves Error.stackTraceLimit as it was', () => {
    const limit = Error.stackTraceLimit
    let thrown: unknown
    try {
      parseEnvelope({ t: 'credit', id: 1, n: -5 })
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(ProtocolViolation)
    expect(thrown).toBeInstanceOf(Error)
    const v = thrown as ProtocolViolation
    expect(v.name).toBe('ProtocolViolation')
    expect(v.stack).toBe(`ProtocolViolation: ${v.message}`)
    expect(new ProtocolViolation('bad', 7).id).toBe(7)
    expect(Error.stackTraceLimit).toBe(limit)
  })
})
