import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisBackend } from '../../src/index.js';
import { describeBackendConformance } from '../backends/conformance.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redisCluster.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';

/** Distinct keyspace channels of ours with a subscriber, on the given nodes (probe channels excluded). */
async function subscribedChannels(nodes: Redis[], prefix: string): Promise<number> {
  const channels = new Set<string>();
  for (const node of nodes) {
    const names = (await node.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[];
    for (const name of names) if (!name.includes('\nprobe:')) channels.add(name);
  }
  return channels.size;
}

let server: RedisServerHandle;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = server.client();
});
afterAll(() => server.stop());

describeBackendConformance('redis', async () => {
  const prefix = `conf:${randomUUID()}:`;
  const backend = new RedisBackend({ client: server.client(), prefix });
  return {
    backend,
    cleanup: () => backend.close(),
    watchers: () => subscribedChannels([admin], prefix),
  };
});

let cluster: RedisClusterHandle;
let masters: Redis[];
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  masters = cluster.nodes.map((node) => node.client());
}, 60_000);
afterAll(() => cluster.stop());

describeBackendConformance('redis cluster', async () => {
  const prefix = `conf:${randomUUID()}:`;
  const backend = new RedisBackend({ client: cluster.client(), prefix });
  return {
    backend,
    cleanup: () => backend.close(),
    watchers: () => subscribedChannels(masters, prefix),
  };
});
