import type { ClusterCostRun } from '../phases/clusterCost.js';
import type { NotifyCostRun } from '../phases/notifyCost.js';
import type { SafetyNetRun } from '../phases/safetyNet.js';
import type { LatencySummary } from '../stats.js';
import type { RatioSpread } from './ratios.js';
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
    out.push(columns(rows));
    if (results.ratio !== undefined && results.ours !== undefined) {
      out.push(
        `  baseline / ours at ${int(results.ours.watched)} watched: p50 ${fmt(results.ratio.p50, 1)}x, ` +
          `p99 ${fmt(results.ratio.p99, 1)}x, max ${fmt(results.ratio.max, 1)}x`,
      );
    }
  }
  if (results.interleaved !== undefined && results.ratios !== undefined) {
    out.push(...renderInterleaved(results.interleaved, results.ratios));
  }
  if (results.scale.length > 0) {
    out.push('', 'Scale, one worker process');
    const rows = [
      [
        'watched',
        'system',
        'subscribe ms',
        'of it harness ms',
        'heap B/watch',
        'B/bare watch',
        'B/task+watch',
        'Redis B/watch',
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
          fmt(measure.harnessMs, 1),
          int(measure.heapBytesPerWatch),
          int(measure.heapBytesPerBareWatch),
          int(measure.heapBytesPerTaskWithWatch),
          int(measure.redisBytesPerWatch),
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
      const self = run.cpuUsPerAbortSelfReported;
      out.push(
        `  ${run.system}: CPU per delivered abort ${run.cpuUsPerAbort.total} µs (/proc, every process: ` +
          `Redis ${run.cpuUsPerAbort.redis}, workers ${run.cpuUsPerAbort.workers}, client ${run.cpuUsPerAbort.client}; ` +
          `self-reported ${self.total}); ${run.cores} cores allow at most ${int(run.cpuBoundAbortsPerSec)} /s`,
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
  if (results.notifyCost !== undefined) out.push(...renderNotifyCost(results.notifyCost));
  if (results.cluster !== undefined) out.push(...renderCluster(results.cluster));
  if (results.safetyNet !== undefined) out.push(...renderSafetyNet(results.safetyNet));
  if (results.targets.length > 0) {
    out.push('', 'Targets (issue 12)');
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

/** The interleaved run: per repetition, the three p50/p99 pairs, then the ratios with their spread. */
function renderInterleaved(
  interleaved: NonNullable<BenchResults['interleaved']>,
  ratios: NonNullable<BenchResults['ratios']>,
): string[] {
  const out: string[] = [];
  const runs = [
    ['paused', interleaved.paused, ratios.paused],
    ['back to back', interleaved.backToBack, ratios.backToBack],
  ] as const;
  for (const [label, run, ratio] of runs) {
    if (run === undefined || ratio === undefined) continue;
    out.push(
      '',
      `Interleaved with the floor, ${int(run.watched)} watched, ${label} (${run.gapMaxMs > 0 ? `pause 0-${run.gapMaxMs} ms before each sample` : 'no pause'}), ` +
        `${run.repetitions.length} x ${run.pairs} pairs (ms)`,
    );
    const rows = [
      ['run', 'ours p50', 'ours p99', '1 hop p50', '1 hop p99', '2 hops p50', '2 hops p99', 'timeouts'],
    ];
    const row = (name: string, ours: LatencySummary, one: LatencySummary, two: LatencySummary, t: string) =>
      rows.push([
        name,
        fmt(ours.p50Ms),
        fmt(ours.p99Ms),
        fmt(one.p50Ms),
        fmt(one.p99Ms),
        fmt(two.p50Ms),
        fmt(two.p99Ms),
        t,
      ]);
    run.repetitions.forEach((rep, i) => {
      row(String(i + 1), rep.ours, rep.oneHop, rep.twoHop, String(rep.timeouts));
    });
    row('pooled', run.pooled.ours, run.pooled.oneHop, run.pooled.twoHop, '');
    out.push(columns(rows));
    const spread = (s: RatioSpread) =>
      `${fmt(s.pooled, 2)}x (runs ${s.perRepetition.map((r) => fmt(r, 2)).join(', ')})`;
    out.push(
      `  ours / 1 hop: p50 ${spread(ratio.p50VsOneHop)}, p99 ${spread(ratio.p99VsOneHop)}`,
      `  ours / 2 hops: p50 ${spread(ratio.p50VsTwoHop)}, p99 ${spread(ratio.p99VsTwoHop)}`,
    );
  }
  return out;
}

/** The keyspace-notification cost table. */
function renderNotifyCost(run: NotifyCostRun): string[] {
  const out = [
    '',
    `SET throughput of an unrelated client (${run.tool}, -c ${run.clients}, ${int(run.requests)} SETs each, ` +
      `median of ${run.rounds} rounds)`,
  ];
  if (run.skipped !== undefined) return [...out, `  skipped: ${run.skipped}`];
  const rows = [['notify-keyspace-events', 'SET/s', 'p50 ms', 'p99 ms', 'Redis CPU µs/SET', 'rounds SET/s']];
  for (const [label, value] of [
    ['off', run.off],
    ['K$, no subscriber', run.onNoSubscriber],
    [`K$, rx-abort watching ${int(run.watched)}`, run.onWatching],
  ] as const) {
    if (value === undefined) continue;
    rows.push([
      label,
      int(value.setsPerSec),
      fmt(value.p50Ms),
      fmt(value.p99Ms),
      fmt(value.redisCpuUsPerSet, 2),
      value.roundsSetsPerSec.map(int).join(' '),
    ]);
  }
  return [...out, columns(rows)];
}

/** The safety nets: the periodic re-read's cost, and what `replicas: 1` adds to `abort()`. */
function renderSafetyNet(run: SafetyNetRun): string[] {
  const { replicas0, replicas1 } = run.abortMs;
  return [
    '',
    `Safety nets, ${int(run.watched)} watched ids`,
    `  periodic re-read (notificationCheckInterval): ${fmt(run.commandsPerIntervalPerId, 3)} commands per watched id ` +
      `per interval, ${fmt(run.roundTripsPerIntervalPer1000, 2)} round trips per 1,000 ids; at the default 30 s: ` +
      `${fmt(run.commandsPerSecondPer1000At30s, 1)} commands/s per 1,000 watched ids`,
    columns([
      ['abort() on loopback, ms', 'n', 'p50', 'p90', 'p99', 'max'],
      ...(
        [
          ['replicas: 0', replicas0],
          ['replicas: 1 (WAIT)', replicas1],
        ] as const
      ).map(([label, value]) => [
        label,
        String(value.count),
        fmt(value.p50Ms),
        fmt(value.p90Ms),
        fmt(value.p99Ms),
        fmt(value.maxMs),
      ]),
    ]),
  ];
}

/** The Redis Cluster cost: measured per master, then the computed table. */
function renderCluster(run: ClusterCostRun): string[] {
  const out = ['', `Redis Cluster, measured on ${run.masters} masters, one worker process`];
  const rows = [
    [
      'watched',
      'subscribe ms',
      'channels / master',
      'connections / master',
      'of which pub/sub',
      'Redis B/watch / master',
    ],
  ];
  for (const m of run.measured) {
    rows.push([
      int(m.watched),
      fmt(m.subscribeMs, 1),
      m.channelsPerMaster.map(int).join(' '),
      m.connectionsPerMaster.join(' '),
      m.subscriberConnectionsPerMaster.join(' '),
      m.redisBytesPerWatchPerMaster.map(int).join(' '),
    ]);
  }
  out.push(columns(rows), '', '  Computed (every watched id on every master), per worker process');
  const design = [['masters', 'watched', 'subs / master', 'subs total', 'connections', 'Redis MB / master']];
  for (const d of run.design) {
    design.push([
      String(d.masters),
      int(d.watched),
      int(d.subscriptionsPerMaster),
      int(d.subscriptionsTotal),
      String(d.connectionsPerWorker),
      fmt(d.redisBytesPerMaster / 1e6, 2),
    ]);
  }
  out.push(columns(design));
  return out;
}
