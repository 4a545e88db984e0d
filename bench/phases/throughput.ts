import { cpus } from 'node:os';
import { join } from 'node:path';
import { now, sleep } from '../clock.js';
import { processCpuMs } from '../procCpu.js';
import type { SystemName } from '../protocol.js';
import { RedisInfo } from '../redisInfo.js';
import type { ProfileEntry } from '../report/profileSummary.js';
import { round3 } from '../stats.js';
import type { CpuTime } from '../worker/worker.js';
import { startRig } from './rig.js';

/** Settings of a throughput run. */
export interface ThroughputSettings {
  /** Watched ids, split evenly over the two workers; every one is aborted. */
  ids: number;
  /** Ids per `abort()` call. */
  batchSize: number;
  /** `abort()` calls in flight. */
  concurrency: number;
  /** Give up waiting for teardowns after this long, s. */
  deliverSeconds: number;
  /** Directory for worker CPU profiles, or undefined for none. */
  profileDir?: string;
}

/** The result of a throughput run. */
export interface ThroughputRun {
  system: SystemName;
  /** Ids watched (and aborted). */
  ids: number;
  /** Teardowns that happened before giving up. */
  delivered: number;
  /** Delivered teardowns per second, from the first `abort()` call to the last teardown. */
  abortsPerSec: number;
  /** Marks written per second by the client (first call to last resolved write). */
  marksWrittenPerSec: number;
  /** From the first `abort()` call to the last teardown, ms. */
  elapsedMs: number;
  /** The client's writes, from the first call to the last resolved, ms. */
  writeMs: number;
  /** CPU used during the run as a share of one core, %: Redis, each worker, the client. */
  cpuPct: { redis: number; workers: number[]; client: number };
  /**
   * CPU time per delivered abort, µs, every process of the run read from outside in `/proc/<pid>/stat`
   * at the same moments (all threads, 10 ms resolution over a run of a second or more): redis-server, the
   * two workers together, the client, and their sum. On a machine with few cores the sum bounds the rate.
   */
  cpuUsPerAbort: { redis: number; workers: number; client: number; total: number };
  /**
   * The same split as each process reports it about itself (`INFO` used_cpu for Redis,
   * `process.cpuUsage()` in Node; µs resolution): a cross-check of {@link cpuUsPerAbort}.
   */
  cpuUsPerAbortSelfReported: { redis: number; workers: number; client: number; total: number };
  /** What the CPU time per abort allows on this machine: cores x 1,000,000 / `cpuUsPerAbort.total`. */
  cpuBoundAbortsPerSec: number;
  /** Cores of the machine. */
  cores: number;
  /** Redis commands during the run, by name. */
  redisCommands: Record<string, number>;
  /** Whether it gave up before every teardown came. */
  incomplete: boolean;
  /** CPU profiles of the workers and the client over the run (with --profile). */
  profiles: string[];
  /** The functions with the most self time in each profile (filled in by the caller). */
  profileTop: Record<string, ProfileEntry[]>;
}

const cpuMs = (before: CpuTime, after: CpuTime): number =>
  after.userMs + after.systemMs - before.userMs - before.systemMs;

/**
 * Measures aborts delivered per second end to end: two worker processes watch `ids` ids between them,
 * one client aborts them all as fast as it can (batches, several in flight), and the run ends at the
 * last teardown. CPU of every process over the run shows what limits it.
 *
 * @param system - the system under test.
 * @param settings - see {@link ThroughputSettings}.
 * @returns the rate and the CPU split.
 */
export async function runThroughput(
  system: SystemName,
  settings: ThroughputSettings,
): Promise<ThroughputRun> {
  const rig = await startRig({ system, workers: 2 });
  try {
    const client = rig.client;
    if (client === undefined) throw new Error('rig without client');
    const perWorker = Math.floor(settings.ids / rig.workers.length);
    await Promise.all(
      rig.workers.map((worker) =>
        worker.call('spawn', { count: perWorker, mode: 'full', shape: 'never', timeoutMs: 120_000 }, 130_000),
      ),
    );
    const idLists = await Promise.all(rig.workers.map((worker) => worker.call('ids', undefined)));
    const ids: string[] = [];
    for (let i = 0; i < perWorker; i++) for (const list of idLists) ids.push(list[i] as string);
    await Promise.all(rig.workers.map((worker) => worker.call('resetTeardowns', undefined)));
    await sleep(200);

    const { profileDir } = settings;
    if (profileDir !== undefined) {
      await Promise.all([
        ...rig.workers.map((worker) => worker.call('profileStart', undefined)),
        client.call('profileStart', undefined),
      ]);
    }
    const pids = [rig.redis.pid, ...rig.workers.map((worker) => worker.pid), client.pid];
    const procBefore = pids.map(processCpuMs);
    const before = await rig.info.snapshot();
    const workerCpuBefore = await Promise.all(rig.workers.map((worker) => worker.call('cpu', undefined)));
    const clientCpuBefore = await client.call('cpu', undefined);
    const started = now();
    const deliverMs = settings.deliverSeconds * 1000;
    const deliveries = rig.workers.map((worker) =>
      worker.call('awaitTeardowns', { count: perWorker, timeoutMs: deliverMs }, deliverMs + 30_000),
    );
    const written = await client.call(
      'abortAll',
      { ids, batchSize: settings.batchSize, concurrency: settings.concurrency },
      deliverMs + 30_000,
    );
    const counts = await Promise.all(deliveries);
    const ended = now();
    const procAfter = pids.map(processCpuMs);
    const after = await rig.info.snapshot();
    const workerCpuAfter = await Promise.all(rig.workers.map((worker) => worker.call('cpu', undefined)));
    const clientCpuAfter = await client.call('cpu', undefined);
    const profiles: string[] = [];
    if (profileDir !== undefined) {
      for (const [i, worker] of rig.workers.entries()) {
        const file = await worker.call('profileStop', {
          file: join(profileDir, `${system}-worker-${i + 1}.cpuprofile`),
        });
        if (file !== undefined) profiles.push(file);
      }
      const file = await client.call('profileStop', {
        file: join(profileDir, `${system}-client.cpuprofile`),
      });
      if (file !== undefined) profiles.push(file);
    }

    const delivered = counts.reduce((sum, count) => sum + count.count, 0);
    const lastAt = Math.max(...counts.map((count) => (count.count > 0 ? count.lastAt : 0)));
    const elapsedMs = delivered === ids.length ? lastAt - written.firstCallAt : ended - written.firstCallAt;
    const wallMs = ended - started;
    const redis = RedisInfo.delta(before, after);
    const workersCpuMs = workerCpuBefore.reduce(
      (sum, cpu, i) => sum + cpuMs(cpu, workerCpuAfter[i] as CpuTime),
      0,
    );
    const clientCpuMs = cpuMs(clientCpuBefore, clientCpuAfter);
    const perAbort = (ms: number) => Math.round((ms * 1000) / Math.max(1, delivered));
    const proc = procAfter.map((ms, i) => ms - (procBefore[i] as number));
    const procRedis = proc[0] as number;
    const procWorkers = proc.slice(1, -1).reduce((sum, ms) => sum + ms, 0);
    const procClient = proc[proc.length - 1] as number;
    const total = perAbort(procRedis + procWorkers + procClient);
    const cores = cpus().length;
    return {
      system,
      ids: ids.length,
      delivered,
      abortsPerSec: Math.round((delivered / elapsedMs) * 1000),
      marksWrittenPerSec: Math.round((ids.length / (written.lastResolvedAt - written.firstCallAt)) * 1000),
      elapsedMs: round3(elapsedMs),
      writeMs: round3(written.lastResolvedAt - written.firstCallAt),
      cpuPct: {
        redis: Math.round(redis.cpuPct),
        workers: workerCpuBefore.map((cpu, i) =>
          Math.round((cpuMs(cpu, workerCpuAfter[i] as CpuTime) / wallMs) * 100),
        ),
        client: Math.round((clientCpuMs / wallMs) * 100),
      },
      cpuUsPerAbort: {
        redis: perAbort(procRedis),
        workers: perAbort(procWorkers),
        client: perAbort(procClient),
        total,
      },
      cpuUsPerAbortSelfReported: {
        redis: perAbort(redis.cpuMs),
        workers: perAbort(workersCpuMs),
        client: perAbort(clientCpuMs),
        total: perAbort(redis.cpuMs + workersCpuMs + clientCpuMs),
      },
      cpuBoundAbortsPerSec: Math.round((cores * 1_000_000) / total),
      cores,
      redisCommands: redis.byCommand,
      incomplete: delivered < ids.length,
      profiles,
      profileTop: {},
    };
  } finally {
    await rig.stop();
  }
}
