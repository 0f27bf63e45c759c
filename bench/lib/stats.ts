/** Median, minimum and maximum of a set of repetitions. */
export interface Summary {
  median: number
  min: number
  max: number
  count: number
}

/**
 * Summarises repeated measurements: the median is what the table compares; min-max shows the spread.
 *
 * @example
 * summarize([3, 1, 2]) // { median: 2, min: 1, max: 3, count: 3 }
 */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length }
}

/**
 * Formats a number for a table: three significant digits, thousands as k, no trailing noise.
 *
 * @example
 * fmt(173456) // '173k'
 */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`
  if (abs >= 1e4) return `${Math.round(value / 1e3)}k`
  if (abs >= 100) return String(Math.round(value))
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}
