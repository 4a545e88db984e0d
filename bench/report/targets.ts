import type { RatioSpread } from './ratios.js';
import type { BenchResults, TargetCheck } from './results.js';

const SUBSCRIBE_TARGET_WATCHED = 100_000;
const ratio = (spread: RatioSpread): string =>
  `${spread.pooled.toFixed(2)}x (runs ${spread.min.toFixed(2)}-${spread.max.toFixed(2)})`;

/**
 * Checks the results against the targets of issue 12, all ratios or per-unit costs from this one run:
 * at 10,000 watched ids, p50 <= 1.1x and p99 <= 1.5x the one-hop floor sampled interleaved with ours;
 * heap <= 1,000 B per watched id of a task cut by `takeUntilAborted` and <= 600 B per bare
 * `backend.watch(id)`, at every size from 1,000 to 100,000; 100,000 watches confirmed and re-read in
 * <= 1 s; <= 20 µs of CPU per delivered abort, every process together. Also its constraint that an idle
 * process sends nothing.
 * @param results - the run's results (targets are skipped for phases that did not run).
 * @returns one entry per target that could be checked.
 */
export function checkTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const paused = results.ratios?.paused;
  if (paused !== undefined) {
    const at = `${paused.watched.toLocaleString('en-US')} watched`;
    checks.push({
      name: `p50 / one-hop floor at ${at}`,
      target: '<= 1.1x',
      value: ratio(paused.p50VsOneHop),
      met: paused.p50VsOneHop.pooled <= 1.1,
    });
    checks.push({
      name: `p99 / one-hop floor at ${at}`,
      target: '<= 1.5x',
      value: ratio(paused.p99VsOneHop),
      met: paused.p99VsOneHop.pooled <= 1.5,
    });
  }
  for (const row of results.scale) {
    const watched = row.watched.toLocaleString('en-US');
    checks.push({
      name: `heap per takeUntilAborted task (${watched})`,
      target: '<= 1,000 B',
      value: `${row.heapBytesPerWatch} B`,
      met: row.heapBytesPerWatch <= 1000,
    });
    checks.push({
      name: `heap per bare backend.watch (${watched})`,
      target: '<= 600 B',
      value: `${row.heapBytesPerBareWatch} B`,
      met: row.heapBytesPerBareWatch <= 600,
    });
    if (row.watched === SUBSCRIBE_TARGET_WATCHED) {
      const confirmed = row.serverChannels === row.watched && row.subscribeSettled;
      const errors = row.subscribeErrors > 0 ? `, ${row.subscribeErrors} read errors` : '';
      checks.push({
        name: `subscribe ${watched} (confirmed, re-read)`,
        target: '<= 1 s',
        value:
          `${(row.librarySubscribeMs / 1000).toFixed(2)} s (${(row.subscribeMs / 1000).toFixed(2)} s with the ` +
          `harness's ${(row.harnessMs / 1000).toFixed(2)} s)` +
          `${confirmed ? '' : `, not settled (${row.serverChannels} channels)`}${errors}`,
        met: row.librarySubscribeMs <= 1000 && confirmed,
      });
    }
    checks.push({
      name: `idle commands (${watched})`,
      target: '0 /s',
      value: `${row.idleCommandsPerSec} /s`,
      met: row.idleCommandsPerSec === 0,
    });
  }
  const throughput = results.throughput;
  if (throughput !== undefined) {
    checks.push({
      name: 'CPU per delivered abort, all processes',
      target: '<= 20 µs',
      value: `${throughput.cpuUsPerAbort.total} µs (${throughput.cpuBoundAbortsPerSec.toLocaleString('en-US')} /s on ${throughput.cores} cores)`,
      met: throughput.cpuUsPerAbort.total <= 20 && !throughput.incomplete,
    });
  }
  return checks;
}
