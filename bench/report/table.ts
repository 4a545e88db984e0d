import type { BenchResults } from './results.js';

const fmt = (value: number | undefined, digits = 3): string =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
const int = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '-' : Math.round(value).toLocaleString('en-US');

/** Lays out rows as aligned columns (first column left, the rest right). */
function columns(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * Renders the human summary printed at the end of `npm run bench` (the same figures as latest.json).
 * @param results - the run's results.
 * @returns the text, several tables.
 */
export function renderTable(results: BenchResults): string {
  const { machine } = results;
  const out: string[] = [
    `rx-abort benchmark, ${results.date}: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, ` +
      `redis ${machine.redis}, load ${machine.loadAvgAtStart.map((n) => n.toFixed(2)).join(' ')} at start ` +
      `(${fmt(machine.idleCpuPctAtStart, 0)}% idle), ${fmt(results.durationSec, 0)} s`,
  ];
  if (results.latency.length > 0) {
    out.push('', 'Abort latency, client abort() -> worker teardown (ms)');
    const rows = [
      [
        'watched',
        'system',
        'n',
        'p50',
        'p90',
        'p99',
        'max',
        'young p50',
        'young p99',
        'old p99',
        'Redis CPU %',
      ],
    ];
    for (const pair of results.latency) {
      for (const run of [pair.ours, pair.baseline]) {
        rows.push([
          int(run.watched),
          run.system,
          String(run.count),
          fmt(run.p50Ms),
          fmt(run.p90Ms),
          fmt(run.p99Ms),
          fmt(run.maxMs),
          fmt(run.young.p50Ms),
          fmt(run.young.p99Ms),
          fmt(run.old.p99Ms),
          fmt(run.redisCpuPct, 1),
        ]);
      }
    }
    if (results.floor !== undefined) {
      for (const [label, floor] of [
        ['floor: SET -> message (1 hop)', results.floor.notify],
        ['floor: SET -> message -> GET (2 hops)', results.floor.notifyThenGet],
      ] as const) {
        rows.push([
          '',
          label,
          String(floor.count),
          fmt(floor.p50Ms),
          fmt(floor.p90Ms),
          fmt(floor.p99Ms),
          fmt(floor.maxMs),
          '',
          '',
          '',
          '',
        ]);
      }
    }
    const warm = results.backToBack;
    if (warm !== undefined) {
      const run = warm.ours;
      rows.push([
        int(warm.watched),
        'ours, back-to-back',
        String(run.count),
        fmt(run.p50Ms),
        fmt(run.p90Ms),
        fmt(run.p99Ms),
        fmt(run.maxMs),
        fmt(run.young.p50Ms),
        fmt(run.young.p99Ms),
        fmt(run.old.p99Ms),
        fmt(run.redisCpuPct, 1),
      ]);
      for (const [label, floor] of [
        ['floor back-to-back: 1 hop', warm.floor.notify],
        ['floor back-to-back: 2 hops', warm.floor.notifyThenGet],
      ] as const) {
        rows.push([
          '',
          label,
          String(floor.count),
          fmt(floor.p50Ms),
          fmt(floor.p90Ms),
          fmt(floor.p99Ms),
          fmt(floor.maxMs),
          '',
          '',
          '',
          '',
        ]);
      }
    }
    out.push(columns(rows));
    if (results.ratio !== undefined && results.ours !== undefined) {
      out.push(
        `  baseline / ours at ${int(results.ours.watched)} watched: p50 ${fmt(results.ratio.p50, 1)}x, ` +
          `p99 ${fmt(results.ratio.p99, 1)}x, max ${fmt(results.ratio.max, 1)}x`,
      );
    }
  }
  if (results.scale.length > 0) {
    out.push('', 'Scale, one worker process');
    const rows = [
      [
        'watched',
        'system',
        'subscribe ms',
        'heap B/watch',
        'B/task+watch',
        'idle cmd/s',
        'idle Redis CPU %',
        'idle worker CPU %',
      ],
    ];
    for (const row of results.scale) {
      for (const measure of [row, row.baseline]) {
        if (measure === undefined) continue;
        rows.push([
          int(measure.watched),
          measure.system,
          fmt(measure.subscribeMs, 1),
          int(measure.heapBytesPerWatch),
          int(measure.heapBytesPerTaskWithWatch),
          fmt(measure.idleCommandsPerSec, 2),
          fmt(measure.idleRedisCpuPct, 2),
          fmt(measure.idleWorkerCpuPct, 2),
        ]);
      }
    }
    out.push(columns(rows));
  }
  const runs = [results.throughput, results.baselineThroughput].filter((run) => run !== undefined);
  if (runs.length > 0) {
    out.push('', 'Throughput, one client -> two workers');
    const rows = [
      ['system', 'ids', 'delivered', 'aborts/s', 'marks written/s', 'CPU %: redis', 'workers', 'client'],
    ];
    for (const run of runs) {
      rows.push([
        run.system,
        int(run.ids),
        int(run.delivered) + (run.incomplete ? ' (gave up)' : ''),
        int(run.abortsPerSec),
        int(run.marksWrittenPerSec),
        String(run.cpuPct.redis),
        run.cpuPct.workers.join(' + '),
        String(run.cpuPct.client),
      ]);
    }
    out.push(columns(rows));
    for (const run of runs) {
      out.push(
        `  ${run.system}: CPU per delivered abort ${run.cpuUsPerAbort.total} µs ` +
          `(Redis ${run.cpuUsPerAbort.redis}, worker ${run.cpuUsPerAbort.workers}, client ${run.cpuUsPerAbort.client}); ` +
          `${machine.cpus} cores allow at most ${int((machine.cpus * 1_000_000) / run.cpuUsPerAbort.total)} /s`,
      );
    }
    for (const [file, top] of Object.entries(results.throughput?.profileTop ?? {})) {
      out.push(`  profile ${file}:`);
      for (const entry of top.slice(0, 6)) out.push(`    ${String(entry.pct).padStart(5)}%  ${entry.where}`);
    }
  }
  if (results.skipCheck !== undefined) {
    out.push('', 'Pre-start (skip) check, per message');
    const rows = [['system', 'check', 'seq p50 ms', 'seq p99 ms', 'seq /s', 'concurrent /s', 'in flight']];
    for (const run of [results.skipCheck.ours, results.skipCheck.baseline]) {
      rows.push([
        run.system,
        run.check,
        fmt(run.sequential.p50Ms),
        fmt(run.sequential.p99Ms),
        int(run.sequential.perSec),
        int(run.concurrent.perSec),
        String(run.concurrent.concurrency),
      ]);
    }
    out.push(columns(rows));
  }
  if (results.targets.length > 0) {
    out.push('', 'Targets (issue 5)');
    out.push(
      columns([
        ['', 'target', 'measured', ''],
        ...results.targets.map((check) => [
          check.name,
          check.target,
          check.value,
          check.met ? 'met' : 'MISSED',
        ]),
      ]),
    );
  }
  return out.join('\n');
}
