import type { SoakReport } from './runSoak.js';

/**
 * The human summary of a soak: totals, then one line per round, the heap of each worker over the rounds,
 * and the verdict.
 * @param report - what {@link runSoak} returned.
 * @returns printable lines.
 */
export function formatSummary(report: SoakReport): string {
  const { options, totals } = report;
  const lines = [
    '',
    `soak: ${options.tasks} tasks running + ${options.queued} queued on ${options.workers} workers ` +
      `(concurrency ${options.concurrency}), ${options.aborts} aborts per round, ${options.repeat} rounds ` +
      `(${report.machine.cpus} CPUs, Node ${report.machine.node}, Redis ${report.machine.redis})`,
    `  aborts issued   ${totals.issued} ids in ${totals.calls} calls`,
    `  landed          ${totals.landed} of ${totals.targets} targets (running stopped + queued skipped)`,
    `  lost            ${totals.lost}`,
    `  touched         ${totals.touched} (tasks nobody aborted that were aborted or skipped)`,
    `  duplicates      ${totals.duplicates}`,
    `  unexpected      ${totals.unexpected}`,
    `  time            ${totals.clientMs} ms issuing, ${totals.abortsPerSecond} aborts/s`,
    `  channels left   ${report.channelsLeft}`,
    `  connections     ${report.connectionsBeforeRounds} before the rounds, ` +
      `${report.rounds.map((round) => round.connectedClients).join(', ')} after each, ${report.connectionsLeft} left at the end`,
    '',
    '  round  issued  calls  targets  landed  lost  issue ms  aborts/s  landing ms  stop p50/p99/max ms  heap before -> after (MiB)',
  ];
  for (const round of report.rounds) {
    const latency = round.stopLatencyMs;
    lines.push(
      `  ${pad(round.round, 5)}  ${pad(round.issued, 6)}  ${pad(round.calls, 5)}  ${pad(round.targets, 7)}  ` +
        `${pad(round.landed, 6)}  ${pad(round.lost, 4)}  ${pad(round.clientMs, 8)}  ${pad(round.abortsPerSecond, 8)}  ` +
        `${pad(round.landingMs ?? '-', 10)}  ${pad(latency === null ? '-' : `${latency.p50}/${latency.p99}/${latency.max}`, 19)}  ` +
        round.workers.map((worker) => `${mib(worker.heapBefore)} -> ${mib(worker.heapAfter)}`).join(', '),
    );
  }
  lines.push('');
  for (const heap of report.heap) {
    lines.push(
      `  worker ${heap.pid}: heap before ${heap.rounds.map((round) => round.beforeMb).join(', ')} MiB; ` +
        `after ${heap.rounds.map((round) => round.afterMb).join(', ')} MiB; ` +
        `growth over the repeat ${heap.growthMb === null ? 'n/a (one round)' : `${heap.growthMb} MiB`}`,
    );
  }
  for (const round of report.rounds) {
    for (const problem of round.problems) lines.push(`  round ${round.round}: ${problem}`);
  }
  lines.push(
    '',
    report.ok ? 'soak: OK' : `soak: FAILED\n${report.failures.map((f) => `  - ${f}`).join('\n')}`,
  );
  return lines.join('\n');
}

const pad = (value: number | string, width: number): string => String(value).padStart(width);
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
