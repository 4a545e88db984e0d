import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend } from '../../../src/index.js';
import { type RedisClusterHandle, startRedisCluster } from '../../support/redisCluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, timeout = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Ids whose keys land on many different slots (and so on every master). */
const spreadIds = (count: number) =>
  Array.from({ length: count }, (_, i) => `task-${i}-${randomUUID().slice(0, 8)}`);

async function ourChannels(nodes: Redis[], prefix: string): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const channels = (await node.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[];
    total += channels.filter((channel) => !channel.includes('\n')).length;
  }
  return total;
}

function watchAll(abortable: Abortable, ids: string[]) {
  const landed = new Map<string, number>();
  const subscriptions: Subscription[] = ids.map((id) =>
    abortable.abort$(id).subscribe(() => landed.set(id, (landed.get(id) ?? 0) + 1)),
  );
  return {
    landed,
    release: () => {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

describe('RedisBackend on Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  let backend: RedisBackend;
  let abortable: Abortable;
  const prefix = `c:${randomUUID().slice(0, 8)}:`;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = cluster.client();
    backend = new RedisBackend({ client, prefix, clusterTopologyInterval: 200 });
    abortable = new Abortable({ backend });
  }, 60_000);
  afterAll(async () => {
    await abortable.close();
    await cluster.stop();
  });

  it('lands aborts on ids spread across all slots, from one multi-slot abort() call', async () => {
    const ids = spreadIds(300);
    const slots = new Set(ids.map((id) => calculateSlot(`${prefix}${id}`)));
    expect(slots.size).toBeGreaterThan(250);
    const { landed, release } = watchAll(abortable, ids);
    await backend.ready();
    const nodes = cluster.nodes.map((node) => node.client());
    await until(async () => (await ourChannels(nodes, prefix)) === ids.length * 3);
    await abortable.abort(ids); // many slots: grouped per slot, no CROSSSLOT
    await until(() => landed.size === ids.length);
    await sleep(50);
    expect([...landed.values()].every((count) => count === 1)).toBe(true);
    release();
    await until(async () => (await ourChannels(nodes, prefix)) === 0);
    expect(backend.watchedIds).toBe(0);
  });

  it('one delivery per abort per process: the owner’s set + published value, not the relayed copies', async () => {
    // PUBLISH on Cluster reaches every master and this backend subscribes every master, yet a watch sees
    // each abort once, from the value (no GET): only the owner sends the `set` the value must follow.
    const ids = spreadIds(36);
    const nodes = cluster.nodes.map((node) => node.client());
    const seen = new Map<string, number>();
    const subscriptions = ids.map((id) =>
      backend.watch(id).subscribe(() => seen.set(id, (seen.get(id) ?? 0) + 1)),
    );
    await backend.ready();
    await until(async () => (await ourChannels(nodes, prefix)) === ids.length * 3);
    await sleep(100); // the re-reads after subscribing are back
    const gets = async () => {
      let total = 0;
      for (const node of nodes) {
        total += Number(/cmdstat_get:calls=(\d+)/.exec(await node.info('commandstats'))?.[1] ?? 0);
      }
      return total;
    };
    const getsBefore = await gets();
    for (const id of ids.slice(0, 20)) await abortable.abort(id, { mode: 'cancel' });
    await abortable.abort(ids.slice(20), { mode: 'cancel' }); // 16 ids, many slots: still published
    await until(() => seen.size === ids.length);
    await sleep(100);
    expect([...seen.values()].filter((count) => count !== 1)).toEqual([]);
    expect(await gets()).toBe(getsBefore);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await until(async () => (await ourChannels(nodes, prefix)) === 0);
  });

  it('delivers aborts made before the watch, and reads them back through the cluster', async () => {
    const ids = spreadIds(30);
    await abortable.abort(ids, { mode: 'cancel' });
    for (const id of ids) expect(await abortable.aborted(id)).toMatchObject({ id, mode: 'cancel' });
    await abortable.abort(ids);
    const { landed, release } = watchAll(abortable, ids);
    await until(() => landed.size === ids.length);
    release();
  });

  it('loses no abort when a watched slot migrates to another master', async () => {
    const id = `migrating-${randomUUID()}`;
    const key = `${prefix}${id}`;
    const slot = calculateSlot(key);
    const source = await cluster.masterOf(slot);
    const target = cluster.nodes.find((node) => node !== source && node.running);
    if (target === undefined) throw new Error('no target');
    const { landed, release } = watchAll(abortable, [id]);
    await until(
      async () =>
        (await ourChannels(
          cluster.nodes.map((n) => n.client()),
          prefix,
        )) === 3,
    );
    const sourceId = await source.cli('CLUSTER', 'MYID');
    const targetId = await target.cli('CLUSTER', 'MYID');
    await target.cli('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
    await source.cli('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
    for (const node of cluster.nodes) await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
    await until(async () => (await cluster.masterOf(slot)) === target);
    await abortable.abort(id);
    await until(() => landed.get(id) === 1);
    release();
  });

  it('watches outcome keys on every master too, and confirms aborts of ids on every slot', async () => {
    const ids = spreadIds(60);
    const nodes = cluster.nodes.map((node) => node.client());
    const outcomeChannels = async (): Promise<number> => {
      let total = 0;
      for (const node of nodes) {
        const channels = (await node.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[];
        total += channels.filter((channel) => channel.includes('\noutcome:')).length;
      }
      return total;
    };
    // A stand-in worker on a second backend: reports 'stopped' for every id it sees aborted.
    const workerBackend = new RedisBackend({
      client: cluster.client(),
      prefix,
      clusterTopologyInterval: 200,
    });
    const worker = new Abortable({ backend: workerBackend });
    const watches = ids.map((id) =>
      worker.abort$(id).subscribe(() => void worker.reportOutcome({ id, outcome: 'stopped', workerId: 'w' })),
    );
    await until(async () => (await ourChannels(nodes, prefix)) === ids.length * 3);
    const seen = new Set<string>();
    const outcomeWatches = ids.map((id) => abortable.outcome$(id).subscribe(() => seen.add(id)));
    await until(async () => (await outcomeChannels()) === ids.length * 3); // every id on every master
    const outcomes = await abortable.abortAndWait(ids, { timeout: 15_000 });
    expect(outcomes.map((outcome) => outcome?.outcome)).toEqual(ids.map(() => 'stopped'));
    await until(() => seen.size === ids.length);
    for (const watch of outcomeWatches) watch.unsubscribe();
    await until(async () => (await outcomeChannels()) === 0);
    expect(backend.watchedIds).toBe(0);
    for (const watch of watches) watch.unsubscribe();
    await worker.close();
  });
});

describe('RedisBackend on Redis Cluster during a failover', () => {
  let cluster: RedisClusterHandle;
  afterEach(async () => {
    await cluster?.stop();
  });

  it('moves watches to the promoted replica and loses no abort when a master is killed', async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    const client = cluster.client();
    const prefix = `f:${randomUUID().slice(0, 8)}:`;
    const backend = new RedisBackend({ client, prefix, clusterTopologyInterval: 200 });
    const abortable = new Abortable({ backend });
    const ids = spreadIds(60);
    const { landed, release } = watchAll(abortable, ids);
    await backend.ready();
    await until(() => backend.watchedIds === ids.length);
    await sleep(200);
    const slot = calculateSlot(`${prefix}${ids[0]}`);
    const victim = await cluster.masterOf(slot);
    await victim.kill();
    await until(async () => (await cluster.masterOf(slot).catch(() => victim)) !== victim, 30_000);
    await cluster.waitHealthy(30_000);
    // Abort while the client may still be catching up with the new topology: it retries on MOVED/CLUSTERDOWN.
    await until(async () => {
      try {
        await abortable.abort(ids);
        return true;
      } catch {
        return false; // the client is still finding the new master; callers retry the same way
      }
    }, 20_000);
    await until(() => landed.size === ids.length, 20_000);
    expect([...landed.values()].every((count) => count >= 1)).toBe(true);
    release();
    await abortable.close();
  }, 90_000);

  it('follows a manual CLUSTER FAILOVER on a replica', async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    const client = cluster.client();
    const prefix = `m:${randomUUID().slice(0, 8)}:`;
    const backend = new RedisBackend({ client, prefix, clusterTopologyInterval: 200 });
    const abortable = new Abortable({ backend });
    const ids = spreadIds(60);
    const { landed, release } = watchAll(abortable, ids);
    await backend.ready();
    await sleep(200);
    const oldMaster = await cluster.masterOf(calculateSlot(`${prefix}${ids[0]}`));
    const oldMasterId = await oldMaster.cli('CLUSTER', 'MYID');
    let replica: (typeof cluster.nodes)[number] | undefined;
    for (const node of cluster.nodes) {
      const info = await node.cli('CLUSTER', 'NODES');
      const me = info.split('\n').find((line) => line.includes('myself'));
      if (me?.includes(`slave ${oldMasterId}`)) replica = node;
    }
    if (replica === undefined) throw new Error('no replica of the master found');
    await replica.cli('CLUSTER', 'FAILOVER');
    await until(async () => (await replica.cli('ROLE')).startsWith('master'));
    await cluster.waitHealthy();
    // Abort at once: the new master's events reach us only after the topology refresh subscribes it, and
    // its re-read then finds the marks.
    await abortable.abort(ids);
    await until(() => landed.size === ids.length, 20_000);
    release();
    await abortable.close();
  }, 90_000);
});
