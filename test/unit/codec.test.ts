import fc from 'fast-check'
import { SuperJSON } from 'superjson'
import { afterEach, describe, expect, it } from 'vitest'
import { isPlainJson, jsonCodec, superjsonCodec } from '../../src/shared/codec.js'
import { runs } from './runs.js'

const codec = superjsonCodec()

const REFUSED_KEYS = ['__proto__', 'constructor', 'prototype']

/**
 * True when `v` holds something superjson does not carry: an object with an own `__proto__`,
 * `constructor` or `prototype` key (its encoder refuses those outright), or an invalid Date (sent as null).
 */
function superjsonCannot(v: unknown, seen = new Set<unknown>()): boolean {
  if (typeof v !== 'object' || v === null || seen.has(v)) return false
  seen.add(v)
  if (v instanceof Date) return Number.isNaN(v.getTime())
  if (REFUSED_KEYS.some((k) => Object.hasOwn(v, k))) return true
  const children =
    v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v)
  return children.some((c) => superjsonCannot(c, seen))
}

function hasNegativeZero(v: unknown): boolean {
  if (typeof v === 'number') return Object.is(v, -0)
  return typeof v === 'object' && v !== null && Object.values(v).some(hasNegativeZero)
}

/** `v` with null-prototype objects rebuilt as plain ones: JSON cannot carry the difference. */
function withPlainPrototypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withPlainPrototypes)
  if (typeof v !== 'object' || v === null) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withPlainPrototypes(x)]))
}

/** What the other end decodes: the encoded parts after a real JSON text round trip, as on the wire. */
function overTheWire(value: unknown): unknown {
  const { json, meta } = codec.encode(value)
  const wire = JSON.parse(JSON.stringify({ r: json, x: meta })) as { r: unknown; x?: unknown }
  return codec.decode(wire.r, wire.x)
}

describe('superjsonCodec round trip', () => {
  it.each([
    ['Date', new Date(1_700_000_000_123)],
    [
      'Map',
      new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: new Date(0) }],
      ]),
    ],
    ['Set', new Set([1, 'two', null])],
    ['BigInt', 2n ** 80n],
    ['negative BigInt', -(2n ** 64n)],
    ['undefined', undefined],
    ['undefined in an object', { a: undefined, b: 1 }],
    ['undefined in an array', [undefined, 1, undefined]],
    ['RegExp', /a+b?\/c/giu],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['-0', -0],
    ['-0 in an array', [0, -0]],
    [
      'nested',
      {
        when: [new Date(0), { deeper: new Map([['k', new Set([1n, undefined])]]) }],
        re: [/x/],
        n: [Number.NaN, -0, 1.5],
        plain: { a: 'é€😀', b: [true, null] },
      },
    ],
  ])('%s', (_, value) => {
    expect(overTheWire(value)).toStrictEqual(value)
  })

  it('an Error arrives as an Error with the same name and message (superjson rebuilds the base class)', () => {
    const back = overTheWire(new RangeError('b is 0')) as Error
    expect(back).toBeInstanceOf(Error)
    expect([back.name, back.message]).toEqual(['RangeError', 'b is 0'])
  })

  it('an invalid Date arrives as null (superjson writes it as null; documented loss)', () => {
    expect(overTheWire(new Date(Number.NaN))).toBeNull()
    expect(overTheWire({ d: new Date(Number.NaN), ok: new Date(0) })).toStrictEqual({
      d: null,
      ok: new Date(0),
    })
  })

  it('own "__proto__", "constructor", "prototype" keys: plain JSON carries them as data; superjson refuses them', () => {
    const v = JSON.parse('{"__proto__":{"x":1},"y":2}') as Record<string, unknown>
    // Fast path: sent as is; the receiving JSON.parse makes it an own property again, not a prototype.
    expect(overTheWire(v)).toStrictEqual(v)
    expect(Object.getPrototypeOf(overTheWire(v))).toBe(Object.prototype)
    // Next to a value that needs superjson, the whole encode is refused.
    expect(() => codec.encode({ v, when: new Date(0) })).toThrowErrorMatchingInlineSnapshot(
      `[Error: Detected property __proto__. This is a prototype pollution risk, please remove it from your object.]`,
    )
    // Even an innocent "constructor" or "prototype" field makes superjson refuse the whole value.
    expect(overTheWire({ constructor: 'Ford' })).toStrictEqual({ constructor: 'Ford' })
    expect(() => codec.encode({ constructor: 'Ford', built: new Date(0) })).toThrow(
      'Detected property constructor',
    )
    expect(() => codec.encode([{ prototype: 1 }, undefined])).toThrow('Detected property prototype')
  })

  it('Uint8Array crosses as base64, about 4/3 of its size', () => {
    const bytes = new Uint8Array(30_000).map((_, i) => (i * 7919) & 0xff)
    const { json, meta } = codec.encode({ file: bytes })
    const encoded = (json as { file: unknown }).file
    expect(typeof encoded).toBe('string')
    expect(encoded).toMatch(/^[A-Za-z0-9+/]*={0,2}$/)
    expect(Buffer.from(encoded as string, 'base64').equals(bytes)).toBe(true)
    // Base64 is 4/3; the whole encoded JSON (with superjson's meta) stays under 1.34x.
    expect(JSON.stringify({ json, meta }).length).toBeLessThanOrEqual(Math.ceil(bytes.length * 1.34))
    const back = overTheWire({ file: bytes }) as { file: Uint8Array }
    expect(back.file).toBeInstanceOf(Uint8Array)
    expect(back.file).toStrictEqual(bytes)
  })

  it('a subarray sends only its own bytes', () => {
    const whole = Uint8Array.from({ length: 100 }, (_, i) => i)
    const view = whole.subarray(10, 20)
    expect(overTheWire(view)).toStrictEqual(Uint8Array.from({ length: 10 }, (_, i) => i + 10))
  })

  it('a Node Buffer arrives as a Uint8Array with the same bytes', () => {
    const buf = Buffer.from('hello, native messaging')
    const back = overTheWire(buf) as Uint8Array
    expect(back).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(back).toString()).toBe('hello, native messaging')
    expect(typeof codec.encode(buf).json).toBe('string')
  })

  it('ArrayBuffer crosses as base64 and arrives as an ArrayBuffer', () => {
    const ab = Uint8Array.from([0, 1, 2, 250, 255]).buffer
    const { json } = codec.encode(ab)
    expect(json).toBe('AAEC+v8=')
    const back = overTheWire(ab)
    expect(back).toBeInstanceOf(ArrayBuffer)
    expect(new Uint8Array(back as ArrayBuffer)).toStrictEqual(new Uint8Array(ab))
  })

  it('empty binary values', () => {
    expect(overTheWire(new Uint8Array(0))).toStrictEqual(new Uint8Array(0))
    expect((overTheWire(new ArrayBuffer(0)) as ArrayBuffer).byteLength).toBe(0)
  })

  it('decode(encode(v)) equals v for every value superjson supports (property)', () => {
    const supported = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withUnicodeString: true,
      maxDepth: 4,
    })
    fc.assert(
      fc.property(supported, (v) => {
        fc.pre(!superjsonCannot(v)) // see the two tests above
        expect(overTheWire(v)).toStrictEqual(v)
      }),
      { numRuns: runs(6_000) },
    )
  })

  it('binary values anywhere in a structure round-trip (property)', () => {
    const bin = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 64 }).map((u) => u.buffer as ArrayBuffer),
    )
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.oneof(bin, fc.array(bin, { maxLength: 3 })), { noNullPrototype: true }),
        (v) => {
          fc.pre(!superjsonCannot(v))
          expect(overTheWire(v)).toStrictEqual(v)
        },
      ),
      { numRuns: runs(3_000) },
    )
  })
})

describe('the plain-JSON fast path', () => {
  it('plain JSON passes through untouched, with no meta, equal to a JSON round trip (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        // fc.jsonValue includes -0, which JSON itself turns into 0: that one is rightly not "plain".
        expect(isPlainJson(v)).toBe(!hasNegativeZero(v))
        if (!isPlainJson(v)) {
          // -0 sends it through superjson, which refuses own __proto__/constructor/prototype keys (see above):
          // fc.jsonValue gives {"":-0,"prototype":null} now and then.
          if (superjsonCannot(v)) expect(() => codec.encode(v)).toThrow('This is a prototype pollution risk')
          else expect(overTheWire(v)).toStrictEqual(v)
          return
        }
        const out = codec.encode(v)
        expect(out.json).toBe(v) // the same reference: no copy, no walk
        expect('meta' in out).toBe(false)
        expect(out.json).toStrictEqual(JSON.parse(JSON.stringify(v)))
        // And superjson itself would have added nothing: the fast path loses nothing.
        if (superjsonCannot(v)) return // superjson refuses those keys; the fast path carries them as data
        const sj = SuperJSON.serialize(v)
        expect(sj.meta).toBeUndefined()
        expect(sj.json).toStrictEqual(v)
        expect(overTheWire(v)).toStrictEqual(v)
      }),
      // The shape that made this test fail now and then, tried first on every run.
      { numRuns: runs(10_000), examples: [[{ '': -0, prototype: null }]] },
    )
  })

  it('isPlainJson is true exactly when a JSON round trip is lossless (property)', () => {
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
      withBoxedValues: true,
      withNullPrototype: true,
      withObjectString: true,
      maxDepth: 3,
    })
    fc.assert(
      fc.property(anything, (v) => {
        if (!isPlainJson(v)) return
        let text: string | undefined
        expect(() => {
          text = JSON.stringify(v)
        }).not.toThrow()
        expect(JSON.parse(text as string)).toStrictEqual(withPlainPrototypes(v))
      }),
      { numRuns: runs(10_000) },
    )
  })

  it.each([
    ['-0', -0],
    ['NaN', Number.NaN],
    ['undefined in an object', { a: undefined }],
    ['a hole', Object.assign(new Array(2), { 1: 1 })],
    ['a Date', new Date(0)],
    ['a class instance', new (class Point {})()],
    ['a BigInt', 1n],
  ])('is false for %s', (_, v) => {
    expect(isPlainJson(v)).toBe(false)
  })

  it('gives up past 32 levels (superjson takes over) and still round-trips', () => {
    let deep: unknown = 'leaf'
    for (let i = 0; i < 40; i++) deep = { d: deep }
    expect(isPlainJson(deep)).toBe(false)
    expect(overTheWire(deep)).toStrictEqual(deep)
  })
})

describe('jsonCodec', () => {
  it('passes plain JSON', () => {
    const c = jsonCodec()
    const v = { a: [1, 'b', null, true], c: { d: 'é' } }
    expect(c.encode(v)).toStrictEqual({ json: v })
    expect(c.decode(v, undefined)).toBe(v)
  })

  it.each([
    ['Date', new Date(0)],
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Map', new Map()],
    ['Uint8Array', new Uint8Array(1)],
    ['nested BigInt', { a: [1n] }],
  ])('refuses %s with an error that names the fix', (_, v) => {
    expect(() => jsonCodec().encode(v)).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: jsonCodec can only send plain JSON (strings, finite numbers, booleans, null, arrays, plain objects); use the default superjsonCodec() for Date, Map, Set, BigInt, undefined or binary data]`,
    )
  })
})

describe('decoding hostile superjson payloads', () => {
  afterEach(() => {
    // Clean up in case a test did pollute, so one failure does not cascade into the others.
    for (const key of ['polluted', 'isAdmin']) delete (Object.prototype as Record<string, unknown>)[key]
  })

  const polluted = () =>
    (({}) as Record<string, unknown>).polluted === undefined &&
    ({} as Record<string, unknown>).isAdmin === undefined &&
    (Object.prototype as Record<string, unknown>).polluted === undefined

  const attempts: Array<[string, unknown, unknown]> = [
    ['__proto__ path in values', { a: 1 }, { values: { '__proto__.polluted': ['undefined'] }, v: 1 }],
    [
      '__proto__ key holding a Map',
      JSON.parse('{"__proto__":[["polluted",1]]}'),
      { values: { __proto__: ['map'] }, v: 1 },
    ],
    [
      'constructor.prototype path',
      { a: 1 },
      { values: { 'constructor.prototype.polluted': ['undefined'] }, v: 1 },
    ],
    [
      'constructor.prototype in the json',
      JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
      { values: { 'constructor.prototype': ['map'] }, v: 1 },
    ],
    [
      '__proto__ in the json',
      JSON.parse('{"__proto__":{"polluted":1,"isAdmin":true}}'),
      { values: { x: ['undefined'] } },
    ],
    [
      'referential equality into __proto__',
      JSON.parse('{"a":{"polluted":1}}'),
      { referentialEqualities: { a: ['__proto__'] }, v: 1 },
    ],
    [
      'referential equality into constructor.prototype',
      JSON.parse('{"a":{"polluted":1}}'),
      { referentialEqualities: { a: ['constructor.prototype'] }, v: 1 },
    ],
    [
      'root referential equality into __proto__.polluted',
      JSON.parse('{"a":1}'),
      { referentialEqualities: [['__proto__.polluted']], v: 1 },
    ],
    ['legacy (v0) escaped path', { a: 1 }, { values: { '__proto__\\.polluted': ['undefined'] } }],
    [
      'a Map whose keys are __proto__',
      { m: [['__proto__', { polluted: 1 }]] },
      { values: { m: ['map'] }, v: 1 },
    ],
    [
      'a class annotation naming Object',
      { a: { polluted: 1 } },
      { values: { a: [['class', 'Object']] }, v: 1 },
    ],
  ]

  it.each(attempts)('%s does not pollute Object.prototype', (_, json, meta) => {
    let result: unknown
    try {
      result = codec.decode(JSON.parse(JSON.stringify(json)), JSON.parse(JSON.stringify(meta)))
    } catch (e) {
      // Refusing is fine; the session turns it into a BAD_REQUEST reply.
      expect(e).toBeInstanceOf(Error)
    }
    expect(polluted()).toBe(true)
    // A decoded object keeps Object.prototype (or none), never an attacker's object as prototype.
    if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
      const proto = Object.getPrototypeOf(result)
      expect(proto === Object.prototype || proto === null || result instanceof Map).toBe(true)
    }
  })

  it('random meta paths built from __proto__/constructor/prototype never pollute (property)', () => {
    const seg = fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'a', '0')
    const path = fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'))
    const type = fc.constantFrom('undefined', 'map', 'set', 'Date', 'bigint', 'number', 'regexp')
    const meta = fc.oneof(
      fc
        .dictionary(
          path,
          type.map((t) => [t]),
        )
        .map((values) => ({ values, v: 1 })),
      fc
        .dictionary(path, fc.array(path, { minLength: 1, maxLength: 3 }))
        .map((r) => ({ referentialEqualities: r, v: 1 })),
    )
    const json = fc.constantFrom(
      '{"a":{"polluted":1}}',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"a":[["polluted",1]]}',
    )
    fc.assert(
      fc.property(json, meta, (j, m) => {
        try {
          codec.decode(JSON.parse(j), m)
        } catch {
          // refusal is fine
        }
        expect(polluted()).toBe(true)
      }),
      { numRuns: runs(5_000) },
    )
  })

  it.each([
    ['a string as the values tree', { a: 1 }, { values: 'x', v: 1 }],
    ['a bare type where [type] belongs', { a: 'AQI=' }, { values: { a: ['custom', 'u8'] }, v: 1 }],
    ['a number as a subtree', { a: 1 }, { values: { a: 5 }, v: 1 }],
    ['a class annotation without the list', { a: 'x' }, { values: { a: ['class', 'Foo'] }, v: 1 }],
    ['referential equalities as a string', { a: 1 }, { referentialEqualities: 'a', v: 1 }],
    ['meta that is not an object', { a: 1 }, 5],
  ])(
    'refuses malformed metadata (%s) with a clear error instead of recursing until the stack overflows',
    (_, json, meta) => {
      let thrown: unknown
      try {
        codec.decode(json, meta)
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeInstanceOf(TypeError)
      expect((thrown as Error).message).toMatch(
        /^superjson metadata .* is malformed: .*; the sender is not a superjson codec$/,
      )
    },
  )

  it('names the problem in the message', () => {
    expect(() => codec.decode({ a: 1 }, { values: 'x', v: 1 })).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: superjson metadata {"values":"x","v":1} is malformed: "values" is not a tree of type annotations; the sender is not a superjson codec]`,
    )
    expect(() => codec.decode({ a: 1 }, { v: '1' })).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: superjson metadata {"v":"1"} is malformed: "v" is not a number; the sender is not a superjson codec]`,
    )
    expect(() => codec.decode({ a: 1 }, { referentialEqualities: [1] })).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: superjson metadata {"referentialEqualities":[1]} is malformed: "referentialEqualities" is not a map of paths; the sender is not a superjson codec]`,
    )
  })

  it('any metadata at all: decode returns or throws an Error, never a stack overflow (property)', () => {
    const metaish = fc.oneof(
      fc.anything({ maxDepth: 4 }),
      fc.record({ values: fc.anything({ maxDepth: 4 }), v: fc.constant(1) }),
      fc.record({ referentialEqualities: fc.anything({ maxDepth: 3 }) }),
      fc.record({
        values: fc.dictionary(
          fc.string(),
          fc.tuple(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string())), fc.anything({ maxDepth: 2 })),
        ),
      }),
    )
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), metaish, (json, meta) => {
        try {
          codec.decode(json, meta)
        } catch (e) {
          expect(e).toBeInstanceOf(Error)
          expect((e as Error).message).not.toMatch(/call stack/)
        }
        expect(polluted()).toBe(true)
      }),
      { numRuns: runs(8_000) },
    )
  })

  it('JSON nested 100,000 deep with metadata is decoded or refused cleanly, never a crash', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`) as unknown
    let outcome = 'returned'
    try {
      codec.decode(deep, { values: { '0': ['undefined'] }, v: 1 })
    } catch (e) {
      outcome = `${(e as Error).name}: ${(e as Error).message}`
    }
    // Observed on Node 20: superjson gets through (its copy of 100k levels fits the default stack). Were
    // it to overflow, that is a catchable RangeError, which the session answers with BAD_REQUEST.
    expect(outcome).toMatch(/^(returned|RangeError: Maximum call stack size exceeded)$/)
    // Without metadata the fast path returns the value untouched.
    expect(codec.decode(deep, undefined)).toBe(deep)
  })
})
