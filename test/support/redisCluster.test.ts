import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClusterHandle, startRedisCluster } from './redisCluster.js';

describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 60_000);
  afterAll(() => cluster.stop());

  it('serves keys on every slot through a Cluster client', async () => {
    const client = cluster.client();
    for (const key of ['a', 'b', 'c', 'd', 'e']) await client.set(key, key);
    expect(await client.get('c')).toBe('c');
    expect(client.nodes('master')).toHaveLength(3);
  });
});
