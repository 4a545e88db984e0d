import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisInfo } from '../redisInfo.js';
import { round3 } from '../stats.js';
import { startRig } from './rig.js';

const execFileAsync = promisify(execFile);

/** Settings of the keyspace-notification cost run. */
export interface NotifyCostSettings {
  /** `SET`s per configuration. */
  requests: number;
  /** Connections of the unrelated client (`redis-benchmark -c`). */
  clients: number;
  /** Ids this library watches in the third configuration. */
  watched: number;
}

/** An unrelated client's `SET` throughput under one configuration. */
export interface SetThroughput {
  /** `SET`s per second (`redis-benchmark`'s rps). */
  setsPerSec: number;
  /** Per-request latency of the unrelated client, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Redis CPU per `SET`, µs (`INFO` used_cpu over the run / requests). */
  redisCpuUsPerSet: number;
}

/** What keyspace notifications cost an unrelated client of the same Redis. */
export interface NotifyCostRun {
  tool: string;
  requests: number;
  clients: number;
  watched: number;
  /** `notify-keyspace-events ""`. */
  off?: SetThroughput;
  /** `notify-keyspace-events K$`, nobody subscribed. */
  onNoSubscriber?: SetThroughput;
  /** `K$`, and a worker process of this library watching `watched` ids. */
  onWatching?: SetThroughput;
  /** Why it did not run (no `redis-benchmark` on PATH). */
  skipped?: string;
}

/**
 * Runs `redis-benchmark -t set` (random keys `key:<n>`, none of them watched) against `port` and reads
 * its throughput, latency and the Redis CPU it cost.
 */
async function setThroughput(port: number, info: RedisInfo, settings: NotifyCostSettings) {
  const before = await info.snapshot();
  const { stdout } = await execFileAsync(
    'redis-benchmark',
    [
      ...['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-n', String(settings.requests)],
      ...['-c', String(settings.clients), '-r', '1000000', '--csv'],
    ],
    { timeout: 120_000 },
  );
  const delta = RedisInfo.delta(before, await info.snapshot());
  const row = stdout.split('\n').find((line) => line.startsWith('"SET"'));
  const cells = row?.split(',').map((cell) => Number(cell.replaceAll('"', '')));
  if (cells === undefined) throw new Error(`redis-benchmark printed no SET row: ${stdout}`);
  return {
    setsPerSec: Math.round(cells[1] ?? Number.NaN),
    p50Ms: cells[4] ?? Number.NaN,
    p99Ms: cells[6] ?? Number.NaN,
    redisCpuUsPerSet: round3((delta.cpuMs * 1000) / settings.requests),
  } satisfies SetThroughput;
}

/**
 * Measures what keyspace notifications cost everyone else on the same Redis: the `SET` throughput of an
 * unrelated client (`redis-benchmark`) with `notify-keyspace-events` off, on (`K$`) with no subscriber,
 * and on with a worker process of this library watching `watched` ids. One run each, on one fresh Redis,
 * in that order.
 *
 * @param settings - see {@link NotifyCostSettings}.
 * @returns the three throughputs, or `skipped` when redis-benchmark is not installed.
 */
export async function runNotifyCost(settings: NotifyCostSettings): Promise<NotifyCostRun> {
  const run: NotifyCostRun = { tool: 'redis-benchmark -t set -r 1000000', ...settings };
  try {
    await execFileAsync('redis-benchmark', ['--version']);
  } catch {
    return { ...run, skipped: 'redis-benchmark is not on PATH (it comes with redis-tools)' };
  }
  const rig = await startRig({ system: 'ours', client: false });
  try {
    const [worker] = rig.workers;
    if (worker === undefined) throw new Error('rig without worker');
    const { port } = rig.redis;
    await rig.info.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    run.off = await setThroughput(port, rig.info, settings);
    await rig.info.call('CONFIG', 'SET', 'notify-keyspace-events', 'K$');
    run.onNoSubscriber = await setThroughput(port, rig.info, settings);
    await worker.call('spawn', { count: settings.watched, mode: 'full', shape: 'never', timeoutMs: 60_000 });
    run.onWatching = await setThroughput(port, rig.info, settings);
    await worker.call('finishAll', undefined);
    return run;
  } finally {
    await rig.stop();
  }
}
