/**
 * Run counts for the property tests, in one place so the total per run is easy to audit (issue 8 asks
 * for at least 100,000 generated inputs per CI run). `NMRPC_FC_SCALE=10 npx vitest run test/unit` turns
 * every count up tenfold for a longer soak; a failing seed is printed by fast-check and can be replayed
 * with `fc.assert(..., { seed, path })`.
 */
const scale = Number(process.env.NMRPC_FC_SCALE ?? '1')

/** `n` scaled by `NMRPC_FC_SCALE` (default 1), never below 1. */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)))
}
