import type { InterleavedRepetition } from '../phases/interleaved.js';
import type { LatencyRun } from '../phases/latency.js';
import { percentile } from '../stats.js';
import type { BenchResults } from './results.js';
import { type LatencySeries, SERIES_COLORS, SERIES_DASHES } from './svg.js';

/**
 * The lines of latency.svg: this library and the baseline at every latency size (dash pattern by size),
 * and this library with the one-hop and two-hop floors sampled interleaved with it (pooled repetitions).
 * @param results - the run's results.
 * @returns the series to draw.
 */
export function latencySeries(results: BenchResults): LatencySeries[] {
  const sizes = results.latency.map((pair) => pair.watched).sort((a, b) => a - b);
  const dash = (watched: number) => SERIES_DASHES[sizes.indexOf(watched) % SERIES_DASHES.length] ?? '';
  const line = (run: LatencyRun, label: string, color: string, dashes: string): LatencySeries => ({
    label,
    samples: run.samples.map((sample) => sample.ms),
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    color,
    dash: dashes,
  });
  const series = results.latency.flatMap((pair) => [
    line(
      pair.ours,
      `rx-abort, ${pair.watched.toLocaleString('en-US')} watched`,
      SERIES_COLORS.ours,
      dash(pair.watched),
    ),
    line(
      pair.baseline,
      `BLPOP baseline, ${pair.watched.toLocaleString('en-US')} watched`,
      SERIES_COLORS.baseline,
      dash(pair.watched),
    ),
  ]);
  const paused = results.interleaved?.paused;
  if (paused !== undefined) {
    const { repetitions } = paused;
    const pooled = (pick: (rep: InterleavedRepetition) => number[]) => repetitions.flatMap(pick);
    const interleavedLine = (samples: number[], label: string, color: string, dashes: string) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return {
        label,
        samples,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        color,
        dash: dashes,
      };
    };
    const at = paused.watched.toLocaleString('en-US');
    series.push(
      interleavedLine(
        pooled((rep) => rep.samples.ours),
        `rx-abort, interleaved, ${at}`,
        SERIES_COLORS.oursInterleaved,
        '',
      ),
      interleavedLine(
        pooled((rep) => rep.samples.oneHop),
        'floor: SET -> message (1 hop)',
        SERIES_COLORS.floor,
        '2 3',
      ),
      interleavedLine(
        pooled((rep) => rep.samples.twoHop),
        'floor: SET -> message -> GET',
        SERIES_COLORS.floor,
        '',
      ),
    );
  }
  return series;
}
