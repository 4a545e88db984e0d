import { startRedisCluster } from '../../test/support/redisCluster.js';
import { onCleanup, trackPid } from '../cleanup.js';
import { now, sleep } from '../clock.js';
import { RedisInfo, type RedisSnapshot } from '../redisInfo.js';
import { startChild } from '../startChild.js';
import { round3 } from '../stats.js';
import type { WorkerApi } from '../worker/worker.js';

/** What one worker process watching `watched` ids costs each master of a cluster, measured. */
export interface ClusterMeasure {
  watched: number;
  /** From the first watch until every master reports every channel subscribed, ms. */
  subscribeMs: number;
  /** `pubsub_channels` of each master once subscribed. */
  channelsPerMaster: number[];
  /** Connections the worker process holds to each master (`connected_clients` delta). */
  connectionsPerMaster: number[];
  /** Of those, subscriber connections (`CLIENT LIST TYPE pubsub`). */
  subscriberConnectionsPerMaster: number[];
  /** `used_memory` of each master, after minus before the watches, / watched, bytes. */
  redisBytesPerWatchPerMaster: number[];
}

/** One row of the cluster cost table, computed from the design and the measured per-master figures. */
export interface ClusterDesignRow {
  masters: number;
  /** Ids watched by one worker process. */
  watched: number;
  /** Subscriptions one worker process holds on each master (= watched: every id on every master). */
  subscriptionsPerMaster: number;
  /** Subscriptions it holds over the cluster (masters x watched). */
  subscriptionsTotal: number;
  /** Connections one worker process opens (measured per master, times masters). */
  connectionsPerWorker: number;
  /** Redis memory its watches hold on each master, bytes (measured bytes per subscription x watched). */
  redisBytesPerMaster: number;
}

/** The cluster cost run. */
export interface ClusterCostRun {
  masters: number;
  measured: ClusterMeasure[];
  design: ClusterDesignRow[];
}

/** Settings of the cluster cost run. */
export interface ClusterCostSettings {
  /** Masters of the measured cluster. */
  masters: number;
  /** Watched-id counts measured, one after the other in one worker process. */
  sizes: number[];
  /** Master counts of the computed table. */
  designMasters: number[];
  /** Watched-id counts (per worker process) of the computed table. */
  designSizes: number[];
}

const SUBSCRIBE_TIMEOUT_MS = 60_000;
const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * Measures what watching costs on Redis Cluster: a fresh cluster of `masters` masters (keyspace
 * notifications `K$`, the test harness's launcher), one worker process of this library with an ioredis
 * `Cluster`, and per watched-id count the channels, connections and memory on every master. Then computes
 * the table for other master counts from the design (every watched id is subscribed on every master,
 * through one subscriber connection per master) with the measured per-master figures.
 *
 * @param settings - see {@link ClusterCostSettings}.
 * @returns the measurements and the computed table.
 */
export async function runClusterCost(settings: ClusterCostSettings): Promise<ClusterCostRun> {
  const cluster = await startRedisCluster({
    masters: settings.masters,
    args: ['--notify-keyspace-events', 'K$'],
  });
  const untrack = cluster.nodes.map((node) => trackPid(node.pid));
  const unregister = onCleanup(() => cluster.stop());
  const infos = cluster.nodes.map((node) => new RedisInfo(node.port));
  const snapshots = () => Promise.all(infos.map((info) => info.snapshot()));
  try {
    const before = await snapshots();
    const worker = await startChild<WorkerApi>('worker/worker.ts', { name: 'cluster-worker' });
    try {
      await worker.call('init', {
        system: 'ours',
        port: cluster.nodes[0]?.port ?? 0,
        prefix: 'rx-abort:',
        idPrefix: 'c-',
        reportEach: false,
        cluster: true,
      });
      const measured: ClusterMeasure[] = [];
      for (const watched of settings.sizes) {
        const memoryBefore = await snapshots();
        const started = now();
        await worker.call('spawn', { count: watched, mode: 'full', shape: 'never', timeoutMs: 60_000 });
        let after: RedisSnapshot[] = await snapshots();
        while (after.some((snapshot) => snapshot.pubsubChannels < watched)) {
          if (now() - started > SUBSCRIBE_TIMEOUT_MS)
            throw new Error(`cluster: ${watched} channels not subscribed`);
          await sleep(5);
          after = await snapshots();
        }
        const subscribeMs = now() - started;
        const subscribers = await Promise.all(
          infos.map(async (info) => {
            const list = String(await info.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
            return list.split('\n').filter((line) => line.trim() !== '').length;
          }),
        );
        measured.push({
          watched,
          subscribeMs: round3(subscribeMs),
          channelsPerMaster: after.map((snapshot) => snapshot.pubsubChannels),
          connectionsPerMaster: after.map(
            (snapshot, i) => snapshot.connectedClients - (before[i]?.connectedClients ?? 0),
          ),
          subscriberConnectionsPerMaster: subscribers,
          redisBytesPerWatchPerMaster: after.map((snapshot, i) =>
            Math.round((snapshot.usedMemory - (memoryBefore[i]?.usedMemory ?? 0)) / watched),
          ),
        });
        await worker.call('finishAll', undefined);
        await sleep(200);
      }
      await worker.call('close', undefined, 5000).catch(() => {});
      return { masters: settings.masters, measured, design: design(settings, measured) };
    } finally {
      await worker.stop();
    }
  } finally {
    for (const info of infos) info.close();
    unregister();
    await cluster.stop();
    for (const done of untrack) done();
  }
}

/** The computed table: subscriptions from the design, connections and bytes from the largest measurement. */
function design(settings: ClusterCostSettings, measured: ClusterMeasure[]): ClusterDesignRow[] {
  const largest = measured[measured.length - 1];
  if (largest === undefined) return [];
  const connectionsPerMaster = mean(largest.connectionsPerMaster);
  const bytesPerSubscription = mean(largest.redisBytesPerWatchPerMaster);
  return settings.designMasters.flatMap((masters) =>
    settings.designSizes.map((watched) => ({
      masters,
      watched,
      subscriptionsPerMaster: watched,
      subscriptionsTotal: masters * watched,
      connectionsPerWorker: Math.round(connectionsPerMaster * masters),
      redisBytesPerMaster: Math.round(bytesPerSubscription * watched),
    })),
  );
}
