import type { InterleavedRepetition, InterleavedRun } from '../phases/interleaved.js';
import type { LatencySummary } from '../stats.js';
import { percentile, round3 } from '../stats.js';

/** One ratio (this library / a floor), over the pooled samples and per repetition. */
export interface RatioSpread {
  /** From every repetition's samples pooled: the figure the targets are checked on. */
  pooled: number;
  /** Median of the per-repetition ratios. */
  median: number;
  /** Smallest and largest per-repetition ratio: the spread a rerun would show. */
  min: number;
  max: number;
  /** Each repetition's ratio, in order. */
  perRepetition: number[];
}

/** The ratios of the interleaved run: this library's p50 and p99 over each floor's. */
export interface LatencyRatios {
  watched: number;
  gapMaxMs: number;
  repetitions: number;
  /** Samples per system per repetition. */
  pairs: number;
  /** ours p50 / one-hop floor p50 (plain ioredis SET -> keyspace message). */
  p50VsOneHop: RatioSpread;
  /** ours p99 / one-hop floor p99. */
  p99VsOneHop: RatioSpread;
  /** ours p50 / two-hop floor p50 (SET -> keyspace message -> GET). */
  p50VsTwoHop: RatioSpread;
  /** ours p99 / two-hop floor p99. */
  p99VsTwoHop: RatioSpread;
}

type Floor = 'oneHop' | 'twoHop';
type Pct = 'p50Ms' | 'p99Ms';

function spread(run: InterleavedRun, floor: Floor, pct: Pct): RatioSpread {
  const of = (ours: LatencySummary, base: LatencySummary) => round3(ours[pct] / base[pct]);
  const perRepetition = run.repetitions.map((rep: InterleavedRepetition) => of(rep.ours, rep[floor]));
  const sorted = [...perRepetition].sort((a, b) => a - b);
  return {
    pooled: of(run.pooled.ours, run.pooled[floor]),
    median: percentile(sorted, 50),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    perRepetition,
  };
}

/**
 * The ratios of an interleaved run (`ratios` in latest.json): this library's p50 and p99 over the one-hop
 * and two-hop floors sampled alternately with it, pooled and per repetition.
 *
 * @example
 * ```ts
 * const ratios = latencyRatios(await runInterleaved(settings));
 * ratios.p50VsOneHop.pooled; // e.g. 1.12
 * ```
 * @param run - the interleaved run.
 * @returns its ratios.
 */
export function latencyRatios(run: InterleavedRun): LatencyRatios {
  return {
    watched: run.watched,
    gapMaxMs: run.gapMaxMs,
    repetitions: run.repetitions.length,
    pairs: run.pairs,
    p50VsOneHop: spread(run, 'oneHop', 'p50Ms'),
    p99VsOneHop: spread(run, 'oneHop', 'p99Ms'),
    p50VsTwoHop: spread(run, 'twoHop', 'p50Ms'),
    p99VsTwoHop: spread(run, 'twoHop', 'p99Ms'),
  };
}
