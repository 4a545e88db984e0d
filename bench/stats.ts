/** Percentiles of a set of durations, in milliseconds. */
export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/**
 * The nearest-rank percentile `p` (0 to 100) of sorted values: the smallest value with at least p% of the
 * values at or below it.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Rounds to 3 decimals (microsecond resolution for milliseconds). */
export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * Summarizes durations in milliseconds: count, min, p50, p90, p99, max and mean, rounded to 3 decimals.
 *
 * @example
 * ```ts
 * summarize([0.1, 0.2, 0.3]).p50Ms; // 0.2
 * ```
 * @param values - the durations.
 * @returns the summary (NaN fields when `values` is empty).
 */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    minMs: round3(sorted[0] ?? Number.NaN),
    p50Ms: round3(percentile(sorted, 50)),
    p90Ms: round3(percentile(sorted, 90)),
    p99Ms: round3(percentile(sorted, 99)),
    maxMs: round3(sorted[sorted.length - 1] ?? Number.NaN),
    meanMs: round3(mean),
  };
}
