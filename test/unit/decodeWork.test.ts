// Decoding and walking a value from the other end costs work linear in its size, whatever shape the
// peer gave it: shared references (a graph with 2^40 paths), superjson paths into Sets and Maps,
// values trees that resolve the same long path many times. Each test counts work (path steps, nodes
// visited), never time.
import fc from 'fast-check'
import { SuperJSON } from 'superjson'
import { describe, expect, it } from 'vitest'
import { isPlainJson, superjsonCodec } from '../../src/shared/codec.js'
import { RpcError } from '../../src/shared/errors.js'
import { MAX_BIGINT_DIGITS } from '../../src/shared/limits.js'
import { applySuperjsonMeta, type MetaWork, type TypeAnnotation } from '../../src/shared/superjsonMeta.js'
import { validate } from '../../src/shared/validate.js'
import { deeperThan, unfoldedSize, type WalkWork } from '../../src/shared/values.js'
import { runs } from './runs.js'

const codec = superjsonCodec()
const sj = new SuperJSON()
const leaf = (json: unknown, type: TypeAnnotation) =>
  sj.deserialize({ json: json as never, meta: { values: [type as never], v: 1 } }, { inPlace: true })

/** Encodes as the sending end does and parses as the receiving end does. */
function wire(value: unknown): { json: unknown; meta: unknown; size: number } {
  const { json, meta } = codec.encode(value)
  const text = JSON.stringify({ r: json, x: meta })
  const back = JSON.parse(text) as { r: unknown; x?: unknown }
  return { json: back.r, meta: back.x, size: text.length }
}

function decodeCounting(json: unknown, meta: unknown): { value: unknown; work: MetaWork } {
  const work: MetaWork = { steps: 0 }
  return { value: applySuperjsonMeta(json, meta, leaf, work), work }
}

/** `levels` objects, each holding the next one twice: `levels` nodes, 2^levels paths. */
function sharedChain(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = { end: true }
  for (let i = 0; i < levels; i++) node = { l: node, r: node }
  return node
}

/**
 * True when `a` and `b` are the same graph: same kinds, same leaves, and shared or circular references
 * in the same places (a node of `a` always meets the same node of `b`).
 */
function sameGraph(a: unknown, b: unknown, seen = new Map<unknown, unknown>()): boolean {
  if (typeof a !== 'object' || a === null) return Object.is(a, b)
  if (typeof b !== 'object' || b === null) return false
  if (seen.has(a)) return seen.get(a) === b
  seen.set(a, b)
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  const kind = (v: object) => Object.prototype.toString.call(v)
  if (kind(a) !== kind(b)) return false
  const entries = (v: object): Array<[unknown, unknown]> =>
    v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v].map((x, i) => [i, x]) : Object.entries(v)
  const ea = entries(a)
  const eb = entries(b as object)
  if (ea.length !== eb.length) return false
  return ea.every(([ka, va], i) => {
    const [kb, vb] = eb[i]!
    return sameGraph(ka, kb, seen) && sameGraph(va, vb, seen)
  })
}

type Spec = { kind: 'object' | 'array' | 'set' | 'map'; kids: Array<{ ref: number } | { leaf: unknown }> }

/** A graph from specs: node i's children are leaves or references to any node (cycles included). */
function buildGraph(specs: Spec[]): unknown {
  const nodes = specs.map((s) =>
    s.kind === 'object' ? {} : s.kind === 'array' ? [] : s.kind === 'set' ? new Set() : new Map(),
  )
  specs.forEach((s, i) => {
    const node = nodes[i]!
    s.kids.forEach((k, j) => {
      const v = 'ref' in k ? nodes[k.ref % nodes.length] : k.leaf
      if (Array.isArray(node)) node.push(v)
      else if (node instanceof Set) node.add(v)
      else if (node instanceof Map) node.set(j % 2 === 0 ? v : `k${j}`, v)
      else (node as Record<string, unknown>)[`k${j}`] = v
    })
  })
  return nodes[0]
}

const leafArb = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 4 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.date({ noInvalidDate: true }),
)
const specArb = fc.record({
  kind: fc.constantFrom('object' as const, 'array' as const, 'set' as const, 'map' as const),
  kids: fc.array(
    fc.oneof(
      fc.nat().map((ref) => ({ ref })),
      leafArb.map((leaf) => ({ leaf })),
    ),
    { maxLength: 5 },
  ),
})
const graphArb = fc.array(specArb, { minLength: 1, maxLength: 10 }).map(buildGraph)

/** The same specs with references only to later nodes: a DAG. */
const dagArb = fc.array(specArb, { minLength: 1, maxLength: 10 }).map((specs) =>
  buildGraph(
    specs.map((s, i) => ({
      ...s,
      kids: s.kids.map((k) =>
        'ref' in k
          ? i + 1 < specs.length
            ? { ref: i + 1 + (k.ref % (specs.length - i - 1)) }
            : { leaf: null }
          : k,
      ),
    })),
  ),
)

/** Nesting levels, the slow way: every path (only for small DAGs). */
function naiveLevels(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0
  const kids = Array.isArray(v)
    ? v
    : v instanceof Map
      ? [...v.keys(), ...v.values()]
      : v instanceof Set
        ? [...v]
        : v instanceof Date
          ? []
          : Object.values(v)
  return 1 + Math.max(0, ...kids.map(naiveLevels))
}

describe('shared and circular references', () => {
  it('arrive as the same graph: shared nodes shared, cycles closed (property)', () => {
    fc.assert(
      fc.property(graphArb, (value) => {
        const { json, meta } = wire(value)
        const back = codec.decode(json, meta)
        // Small plain JSON takes the fast path and is sent as JSON would send it: shared objects as copies.
        if (isPlainJson(value)) expect(back).toEqual(value)
        else expect(sameGraph(value, back)).toBe(true)
      }),
      { numRuns: runs(3000) },
    )
  })

  it('keep a Set in its order where superjson itself moves shared elements to the end', () => {
    const shared = { id: 1 }
    const value = [shared, new Set(['a', shared, 'b'])]
    const { json, meta } = wire(value)
    const back = codec.decode(json, meta) as [object, Set<unknown>]
    expect([...back[1]]).toEqual(['a', { id: 1 }, 'b'])
    expect([...back[1]][1]).toBe(back[0])
  })

  it('a 40-level chain of shared references decodes in steps linear in its metadata', () => {
    const { json, meta, size } = wire(sharedChain(40))
    const { value, work } = decodeCounting(json, meta)
    expect(work.steps).toBeLessThanOrEqual(size)
    const top = value as Record<string, Record<string, unknown>>
    expect(top.l).toBe(top.r)
  })
})

describe('metadata the peer shapes for work', () => {
  it('50,000 paths into one Set: one step per path segment (superjson: 1.25e9 Set iterations)', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => ({ i }))
    const { json, meta, size } = wire([items, new Set(items)])
    const { value, work } = decodeCounting(json, meta)
    expect(work.steps).toBeLessThanOrEqual(size)
    const [list, set] = value as [object[], Set<object>]
    expect([...set][49_999]).toBe(list[49_999])
  })

  it('paths into a Map: keys and values shared with a list, each reached in one step', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => ({ k: i }))
    const { json, meta, size } = wire([keys, new Map(keys.map((k) => [k, k]))])
    const { value, work } = decodeCounting(json, meta)
    expect(work.steps).toBeLessThanOrEqual(size)
    const [list, map] = value as [object[], Map<object, object>]
    expect(map.get(list[123]!)).toBe(list[123])
  })

  it('a values tree 900 levels deep with 20,000 leaves resolves each level once', () => {
    const depth = 900
    const width = 20_000
    const json = JSON.parse('['.repeat(depth) + Array(width).fill('null').join(',') + ']'.repeat(depth))
    let tree: unknown = Object.fromEntries(
      Array.from({ length: width }, (_, i) => [String(i), ['undefined']]),
    )
    for (let i = 0; i < depth - 1; i++) tree = { 0: tree }
    const meta = { values: tree, v: 1 }
    const { value, work } = decodeCounting(json, meta)
    // superjson walks the 900-level path again for every leaf: 18 million steps.
    expect(work.steps).toBeLessThanOrEqual(JSON.stringify(meta).length)
    let inner = value as unknown[]
    for (let i = 0; i < depth - 1; i++) inner = inner[0] as unknown[]
    expect(inner).toHaveLength(width)
    expect(inner.every((x) => x === undefined)).toBe(true)
  })

  it('one node annotated again and again through different paths is refused, not converted each time', () => {
    const json = { a: { b: Array(10_000).fill(1) } }
    const meta = {
      values: {
        'a.b': [['typed-array', 'Float64Array']],
        a: [['typed-array', 'Float64Array'], { b: [['typed-array', 'Float64Array']] }],
      },
      v: 1,
    }
    expect(() => codec.decode(json, meta)).toThrow(/twice|typed array/)
  })

  it('a BigInt past MAX_BIGINT_DIGITS is refused naming the limit; one at the limit decodes', () => {
    const at = `1${'0'.repeat(MAX_BIGINT_DIGITS - 1)}`
    expect(codec.decode(at, { values: ['bigint'], v: 1 })).toBe(BigInt(at))
    expect(() => codec.decode(`${at}0`, { values: ['bigint'], v: 1 })).toThrow(/MAX_BIGINT_DIGITS/)
  })

  it('binary types take base64 text only: an array-like "length" cannot allocate', () => {
    expect(() => codec.decode({ length: 1e9 }, { values: [['custom', 'u8']], v: 1 })).toThrow(/base64/)
    expect(() => codec.decode(1e9, { values: [['typed-array', 'Float64Array']], v: 1 })).toThrow(
      /typed array/,
    )
  })

  const segment = fc.oneof(fc.constantFrom('0', '1', '2', 'a', 'b', ''), fc.nat({ max: 30 }).map(String))
  const pathArb = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('.'))
  const typeArb = fc.constantFrom<TypeAnnotation>(
    'set',
    'map',
    'Error',
    'Date',
    'undefined',
    'bigint',
    'regexp',
    'number',
    ['custom', 'u8'],
    ['typed-array', 'Uint8Array'],
  )
  const treeArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.tuple(typeArb),
      fc.tuple(typeArb, fc.dictionary(pathArb, tie('node'), { maxKeys: 4 })),
      fc.dictionary(pathArb, tie('node'), { maxKeys: 4 }),
    ),
  })).node
  const jsonArb = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown)

  it('any values tree and shared paths over any JSON: decoded or refused, in steps linear in the input (property)', () => {
    fc.assert(
      fc.property(
        jsonArb,
        treeArb,
        fc.oneof(
          fc.dictionary(pathArb, fc.array(pathArb, { maxLength: 6 })),
          fc.tuple(fc.array(pathArb, { maxLength: 4 }), fc.dictionary(pathArb, fc.array(pathArb))),
        ),
        (json, values, referentialEqualities) => {
          const meta = { values, referentialEqualities, v: 1 }
          const size = JSON.stringify({ json, meta }).length
          const work: MetaWork = { steps: 0 }
          try {
            applySuperjsonMeta(json, meta, leaf, work)
          } catch (e) {
            expect(e).toBeInstanceOf(Error)
          }
          expect(work.steps).toBeLessThanOrEqual(2 * size + 4)
        },
      ),
      { numRuns: runs(5000) },
    )
  })
})

describe('walks over decoded values visit each node once', () => {
  it('the depth check on a 40-level shared chain: 2^40 paths, a few hundred steps', () => {
    const chain = sharedChain(40)
    const work: WalkWork = { steps: 0 }
    expect(deeperThan(chain, 41, work)).toBe(false)
    expect(work.steps).toBeLessThanOrEqual(4 * 41)
    expect(deeperThan(chain, 40)).toBe(true)
  })

  it('a circular value is a reference, not endless nesting', () => {
    const a: Record<string, unknown> = { n: 1 }
    a.self = a
    expect(deeperThan([a], 2)).toBe(false)
    expect(unfoldedSize(a, 1000)).toBe(Number.POSITIVE_INFINITY)
  })

  it('the depth check agrees with walking every path, on DAGs (property)', () => {
    fc.assert(
      fc.property(dagArb, fc.nat({ max: 12 }), (value, limit) => {
        expect(deeperThan(value, limit)).toBe(naiveLevels(value) > limit)
      }),
      { numRuns: runs(3000) },
    )
  })

  it('on any graph, the depth check and the unfolded size cost at most one step per node and edge (property)', () => {
    fc.assert(
      fc.property(graphArb, (value) => {
        const { json, meta, size } = wire(value)
        const decoded = codec.decode(json, meta)
        const edges = { steps: 0 }
        unfoldedSize(decoded, Number.POSITIVE_INFINITY, edges)
        const depth: WalkWork = { steps: 0 }
        deeperThan(decoded, 64, depth)
        expect(depth.steps).toBeLessThanOrEqual(2 * size + 2)
        expect(edges.steps).toBeLessThanOrEqual(2 * size + 2)
      }),
      { numRuns: runs(2000) },
    )
  })

  it('unfoldedSize counts each path: a 40-level chain is 3 * 2^40 - 1 visits, found in 122 steps', () => {
    const work: WalkWork = { steps: 0 }
    expect(unfoldedSize(sharedChain(40), Number.POSITIVE_INFINITY, work)).toBe(3 * 2 ** 40 - 1)
    expect(work.steps).toBe(41 + 81) // each node entered, each edge followed
    expect(unfoldedSize(sharedChain(40), 1000)).toBe(Number.POSITIVE_INFINITY)
  })

  it('the plain-JSON check sends a shared chain through superjson, which carries each node once', () => {
    const chain = sharedChain(40)
    expect(isPlainJson(chain)).toBe(false)
    const { json, meta } = wire(chain)
    const back = codec.decode(json, meta) as Record<string, Record<string, unknown>>
    expect(back.l).toBe(back.r)
  })

  it('validate() refuses arguments a schema would walk 2^40 times, and circular ones, naming the argument', async () => {
    let calls = 0
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (v: unknown) => {
          calls++
          return { value: v }
        },
      },
    }
    const handler = validate([schema, schema], (_a: unknown, b: unknown) => b)
    await expect(handler(1, sharedChain(40))).rejects.toThrow(
      /argument 1 shares objects .*MAX_VALIDATION_EXPANSION/,
    )
    const circular: Record<string, unknown> = {}
    circular.me = circular
    await expect(handler(circular, 1)).rejects.toThrow(/argument 0 is circular/)
    await expect(handler(circular, 1)).rejects.toBeInstanceOf(RpcError)
    expect(calls).toBe(0)
    // Ordinary sharing is fine: 1,000 rows pointing at one config object.
    const config = { a: { b: [1, 2, 3] } }
    await expect(
      handler(
        1,
        Array.from({ length: 1000 }, () => ({ config })),
      ),
    ).resolves.toHaveLength(1000)
  })
})
