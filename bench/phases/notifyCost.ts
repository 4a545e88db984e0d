import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisInfo } from '../redisInfo.js';
import { round3 } from '../stats.js';
import { startRig } from './rig.js';

const execFileAsync = promisify(execFile);

/** Settings of the keyspace-notification cost run. */
export interface NotifyCostSettings {
  /** `SET`s per configuration and round. */
  requests: number;
  /** Rounds: each measures the three configurations once, in turn (the median is reported). */
  rounds: number;
  /** Connections of the unrelated client (`redis-benchmark -c`). */
  clients: number;
  /** Ids this library watches in the third configuration. */
  watched: number;
}

/** An unrelated client's `SET` throughput under one configuration (the median round's figures). */
export interface SetThroughput {
  /** `SET`s per second (`redis-benchmark`'s rps). */
  setsPerSec: number;
  /** Per-request latency of the unrelated client, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Redis CPU per `SET`, µs (`INFO` used_cpu over the run / requests). */
  redisCpuUsPerSet: number;
  /** `SET`s per second of every round, in order. */
  roundsSetsPerSec: number[];
}

/** What keyspace notifications cost an unrelated client of the same Redis. */
export interface NotifyCostRun {
  tool: string;
  requests: number;
  rounds: number;
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

type Round = Omit<SetThroughput, 'roundsSetsPerSec'>;

/**
 * Runs `redis-benchmark -t set` (random keys `key:<n>`, none of them watched) against `port` and reads
 * its throughput, latency and the Redis CPU it cost.
 */
async function setThroughput(port: number, info: RedisInfo, settings: NotifyCostSettings): Promise<Round> {
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
  };
}

/** The round with the median throughput, and every round's throughput. */
function median(rounds: Round[]): SetThroughput {
  const sorted = [...rounds].sort((a, b) => a.setsPerSec - b.setsPerSec);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)] as Round;
  return { ...middle, roundsSetsPerSec: rounds.map((round) => round.setsPerSec) };
}

/**
 * Measures what keyspace notifications cost everyone else on the same Redis: the `SET` throughput of an
 * unrelated client (`redis-benchmark`) with `notify-keyspace-events` off, on (`K$`) with no subscriber,
 * and on with a worker process of this library watching `watched` ids, on one fresh Redis. The three are
 * measured in turn, `rounds` times (the watches are made before and released after each third run, so
 * notifications are switched off only while nothing is watched and the library has nothing to restore),
 * and each configuration's median round is reported.
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
    const off: Round[] = [];
    const on: Round[] = [];
    const watching: Round[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      await rig.info.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      off.push(await setThroughput(port, rig.info, settings));
      await rig.info.call('CONFIG', 'SET', 'notify-keyspace-events', 'K$');
      on.push(await setThroughput(port, rig.info, settings));
      await worker.call('spawn', {
        count: settings.watched,
        mode: 'full',
        shape: 'never',
        timeoutMs: 60_000,
      });
      watching.push(await setThroughput(port, rig.info, settings));
      await worker.call('finishAll', undefined);
    }
    return { ...run, off: median(off), onNoSubscriber: median(on), onWatching: median(watching) };
  } finally {
    await rig.stop();
  }
}
