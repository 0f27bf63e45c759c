import { RpcError } from './errors.js'
import { MAX_VALIDATION_EXPANSION, VALIDATION_EXPANSION_SLACK } from './limits.js'
import type { InferInput, InferOutput, StandardIssue, StandardSchemaV1 } from './standardSchema.js'
import type { ContextualHandler } from './types.js'
import { unfoldedSize, type WalkWork } from './values.js'
import { isContextual, withContext } from './withContext.js'

type Required<S extends readonly StandardSchemaV1[]> = { -readonly [K in keyof S]: InferInput<S[K]> }
/** The arguments callers pass: each schema's input; trailing ones that accept `undefined` may be left out. */
type Inputs<S extends readonly StandardSchemaV1[]> = S extends readonly [
  ...infer Init extends readonly StandardSchemaV1[],
  infer Last extends StandardSchemaV1,
]
  ? undefined extends InferInput<Last>
    ? [...Inputs<Init>, InferInput<Last>?]
    : Required<S>
  : Required<S>
type Outputs<S extends readonly StandardSchemaV1[]> = { -readonly [K in keyof S]: InferOutput<S[K]> }

/** What the extension sees when validation fails: `RpcError` code `BAD_REQUEST` with this `data`. */
export interface ValidationErrorData {
  /** Which argument (0-based) failed, or `'result'` for the output. */
  argument: number | 'result'
  issues: Array<{ message: string; path: string }>
}

function pathOf(issue: StandardIssue): string {
  if (!issue.path || issue.path.length === 0) return ''
  return issue.path
    .map((p) => {
      const key = typeof p === 'object' && p !== null && 'key' in p ? p.key : p
      return typeof key === 'number' ? `[${key}]` : `.${String(key)}`
    })
    .join('')
}

/**
 * Refuses an argument that a schema would walk far more times than it has nodes: schema validators do
 * not remember what they have seen, so a graph of shared references (which superjson carries) costs them
 * one visit per path, and a circular one never ends.
 */
function checkWalkable(value: unknown, argument: number): void {
  const work: WalkWork = { steps: 0 }
  const visits = unfoldedSize(value, Number.POSITIVE_INFINITY, work)
  if (visits === Number.POSITIVE_INFINITY)
    throw new RpcError(
      'BAD_REQUEST',
      `argument ${argument} is circular (it contains itself); a schema cannot validate it: send it without the cycle`,
    )
  if (visits > MAX_VALIDATION_EXPANSION * work.steps + VALIDATION_EXPANSION_SLACK)
    throw new RpcError(
      'BAD_REQUEST',
      `argument ${argument} shares objects so often that validating it means ${visits.toPrecision(3)} visits for ` +
        `${work.steps} nodes (more than ${MAX_VALIDATION_EXPANSION}x, MAX_VALIDATION_EXPANSION); send each shared object fewer times`,
    )
}

async function check(
  schema: StandardSchemaV1,
  value: unknown,
  argument: number | 'result',
): Promise<unknown> {
  const result = await schema['~standard'].validate(value)
  if (!result.issues) return result.value
  const issues = result.issues.map((i) => ({ message: i.message, path: pathOf(i) }))
  const what = argument === 'result' ? 'the result' : `argument ${argument}`
  const first = issues[0]
  throw new RpcError<ValidationErrorData>(
    argument === 'result' ? 'HANDLER_ERROR' : 'BAD_REQUEST',
    `${what} is invalid: ${first ? `${first.message}${first.path ? ` (at ${first.path})` : ''}` : 'rejected by its schema'}` +
      (issues.length > 1 ? ` and ${issues.length - 1} more issue(s)` : ''),
    { data: { argument, issues } },
  )
}

/**
 * Validates a handler's arguments with Standard Schema schemas (zod, valibot, arktype, ...) before it
 * runs, and types it from them: the handler receives the schemas' outputs; callers must pass their inputs.
 * Invalid arguments reject on the client with `RpcError` code `BAD_REQUEST`, a message naming the argument
 * and the first issue, and `data: { argument, issues: [{ message, path }] }`. Wrong argument counts are
 * refused too. An optional `output` schema checks the result (a failure is the host's bug: `HANDLER_ERROR`).
 * Works with `withContext` handlers: wrap the `withContext(...)` in `validate(...)`.
 *
 * @example
 * import { z } from 'zod'
 * defineHost({
 *   greet: validate([z.string().min(1), z.number().int().optional()], (name, times = 1) => `hi ${name}`.repeat(times)),
 * })
 */
export function validate<const S extends readonly StandardSchemaV1[], Ctx, R>(
  schemas: S,
  handler: ContextualHandler<Ctx, Outputs<S>, R>,
  options?: { output?: StandardSchemaV1<Awaited<R>> },
): ContextualHandler<Ctx, Inputs<S>, Promise<Awaited<R>>>
export function validate<const S extends readonly StandardSchemaV1[], R>(
  schemas: S,
  handler: (...args: Outputs<S>) => R,
  options?: { output?: StandardSchemaV1<Awaited<R>> },
): (...args: Inputs<S>) => Promise<Awaited<R>>
export function validate(
  schemas: readonly StandardSchemaV1[],
  handler: (...args: never[]) => unknown,
  options: { output?: StandardSchemaV1 } = {},
): unknown {
  const call = handler as (...args: unknown[]) => unknown
  for (const [i, s] of schemas.entries()) {
    if (typeof s?.['~standard']?.validate !== 'function')
      throw new TypeError(
        `validate(): schema ${i} is not a Standard Schema (no "~standard.validate"); use zod 3.24+, valibot 1.0+, arktype 2.0+ or another Standard Schema library`,
      )
  }
  const run = async (args: unknown[]): Promise<unknown[]> => {
    // Trailing optional arguments may be left out; extra ones are refused.
    if (args.length > schemas.length)
      throw new RpcError('BAD_REQUEST', `takes at most ${schemas.length} argument(s), got ${args.length}`)
    const out: unknown[] = []
    for (let i = 0; i < args.length; i++) checkWalkable(args[i], i)
    for (let i = 0; i < schemas.length; i++) out.push(await check(schemas[i]!, args[i], i))
    while (out.length > args.length && out[out.length - 1] === undefined) out.pop()
    return out
  }
  const finish = async (result: unknown) =>
    options.output ? check(options.output, await result, 'result') : result
  if (isContextual(handler))
    return withContext(async (ctx: unknown, ...args: unknown[]) => finish(call(ctx, ...(await run(args)))))
  return async (...args: unknown[]) => finish(call(...(await run(args))))
}
