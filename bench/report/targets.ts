import type { BenchResults, TargetCheck } from './results.js';

const ms = (value: number): string => `${value.toFixed(3)} ms`;

/**
 * Checks the results against the targets of issue 5 (loopback, this machine): p50 < 0.3 ms and p99 < 1 ms
 * at 10,000 watched ids; p99 at least 10x lower than the baseline's; < 300 bytes of heap per watched id;
 * zero idle commands; at least 50,000 aborts per second delivered.
 * @param results - the run's results (targets are skipped for phases that did not run).
 * @returns one entry per target that could be checked.
 */
export function checkTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { ours, baseline, ratio } = results;
  if (ours !== undefined) {
    checks.push({
      name: `p50 at ${ours.watched.toLocaleString('en-US')} watched`,
      target: '< 0.3 ms',
      value: ms(ours.p50Ms),
      met: ours.p50Ms < 0.3,
    });
    checks.push({
      name: `p99 at ${ours.watched.toLocaleString('en-US')} watched`,
      target: '< 1 ms',
      value: ms(ours.p99Ms),
      met: ours.p99Ms < 1,
    });
  }
  if (baseline !== undefined && ratio !== undefined) {
    checks.push({
      name: 'p99 vs baseline',
      target: '>= 10x lower',
      value: `${ratio.p99.toFixed(1)}x lower`,
      met: ratio.p99 >= 10,
    });
  }
  for (const row of results.scale) {
    const watched = row.watched.toLocaleString('en-US');
    checks.push({
      name: `heap per watched id (${watched})`,
      target: '< 300 B',
      value: `${row.heapBytesPerWatch} B`,
      met: row.heapBytesPerWatch < 300,
    });
    checks.push({
      name: `idle commands (${watched})`,
      target: '0 /s',
      value: `${row.idleCommandsPerSec} /s`,
      met: row.idleCommandsPerSec === 0,
    });
  }
  if (results.throughput !== undefined) {
    checks.push({
      name: 'aborts delivered per second',
      target: '>= 50,000 /s',
      value: `${results.throughput.abortsPerSec.toLocaleString('en-US')} /s`,
      met: results.throughput.abortsPerSec >= 50_000 && !results.throughput.incomplete,
    });
  }
  return checks;
}
