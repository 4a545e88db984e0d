import type { LatencyRun } from '../phases/latency.js';
import type { BenchResults } from './results.js';
import { type LatencySeries, SERIES_COLORS, SERIES_DASHES } from './svg.js';

/**
 * The lines of latency.svg: this library and the baseline at every latency size (dash pattern by size),
 * and this library's back-to-back run.
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
  const warm = results.backToBack;
  if (warm !== undefined) {
    series.push(
      line(
        warm.ours,
        `rx-abort, back-to-back, ${warm.watched.toLocaleString('en-US')}`,
        SERIES_COLORS.oursBackToBack,
        '',
      ),
    );
  }
  return series;
}
