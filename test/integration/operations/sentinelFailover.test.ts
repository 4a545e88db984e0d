// Item 5 of the operational faults: replication is asynchronous, so an abort acknowledged by the old master
// during a Sentinel failover could be missing on the promoted replica. With `replicas: 1` abort() resolves
// only after WAIT confirmed a replica holds the mark, so every acknowledged abort survives the failover.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend, ReplicationTimeoutError } from '../../../src/index.js';
import { type RedisSentinelHandle, startRedisSentinel } from '../../support/redisSentinel.js';
import { until } from '../hardening/support.js';

describe('RedisBackend through Sentinel with replicas: 1', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: { replicas?: number; replicaTimeout?: number } = {}) {
    const sentinel: RedisSentinelHandle = await startRedisSentinel();
    cleanups.push(() => sentinel.stop());
    const client = sentinel.client({ retryStrategy: () => 50 });
    client.on('error', () => {});
    const backend = new RedisBackend({
      client,
      prefix: `sf:${randomUUID().slice(0, 8)}:`,
      replicas: options.replicas ?? 1,
      replicaTimeout: options.replicaTimeout ?? 1000,
      commandTimeout: 2000,
    });
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    return { sentinel, backend, abortable };
  }

  it('every abort acknowledged during SENTINEL FAILOVER is on the new master afterwards', async () => {
    const { sentinel, backend, abortable } = await setup();
    const acknowledged: string[] = [];
    const unconfirmed: string[] = [];
    const rejected: unknown[] = [];
    let writing = true;
    // Aborts one after another (single ids and batches of three) until the failover is over.
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const ids = n % 4 === 3 ? [`b${n}-1`, `b${n}-2`, `b${n}-3`] : [`s${n}`];
        try {
          await abortable.abort(ids, { abortTtl: 60_000 });
          acknowledged.push(...ids);
        } catch (error) {
          rejected.push(error);
          if (error instanceof ReplicationTimeoutError) unconfirmed.push(...ids);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
    cleanups.push(async () => {
      writing = false;
      await writer;
    });
    await until(() => acknowledged.length >= 5, 'aborts acknowledged before the failover');
    const newMaster = await sentinel.failover();
    writing = false;
    await writer;
    const promoted = sentinel.servers.find((server) => server.port === newMaster);
    const admin = promoted?.client();
    if (admin === undefined) throw new Error('no promoted server');
    const present = await admin.exists(...acknowledged.map((id) => backend.prefix + id));
    expect(present, `acknowledged aborts on the new master (${rejected.length} rejected)`).toBe(
      acknowledged.length,
    );
    // What replicas: 0 would have acknowledged and lost: writes the old master took after the promotion.
    const lost =
      unconfirmed.length === 0
        ? 0
        : unconfirmed.length - (await admin.exists(...unconfirmed.map((id) => backend.prefix + id)));
    console.log(
      `failover: ${acknowledged.length} acknowledged (all on the new master), ${unconfirmed.length} unconfirmed ` +
        `by WAIT, of which ${lost} are missing on the new master`,
    );
  }, 40_000);

  it('rejects with ReplicationTimeoutError when no replica confirms within replicaTimeout (the mark is written)', async () => {
    const { sentinel, backend, abortable } = await setup({ replicaTimeout: 200 });
    // While the replica runs, a write is confirmed (a generous timeout: this machine may be busy).
    const patient = new Abortable({
      backend: new RedisBackend({
        client: sentinel.client(),
        prefix: backend.prefix,
        replicas: 1,
        replicaTimeout: 10_000,
      }),
    });
    cleanups.push(() => patient.close());
    await patient.abort('ok');
    const [master, replica] = sentinel.servers;
    await replica.kill();
    const error = await abortable.abort('lonely').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationTimeoutError);
    expect(error).toMatchObject({ replicas: 1, acknowledged: 0 });
    expect((error as Error).message).toMatch(/replicaTimeout \(200 ms\)/);
    expect((error as Error).message).toMatch(/may still reach the replicas/);
    // Not confirmed, not undone: the mark exists on the master.
    expect(await master.client().exists(`${backend.prefix}lonely`)).toBe(1);
    const batch = await abortable.abort(['m1', 'm2']).catch((e: unknown) => e);
    expect(batch).toBeInstanceOf(ReplicationTimeoutError);
  }, 30_000);

  it('validates replicas and replicaTimeout', () => {
    const client = { duplicate: () => ({}), options: {} } as never;
    expect(() => new RedisBackend({ client, replicas: -1 })).toThrow(/options\.replicas/);
    expect(() => new RedisBackend({ client, replicas: 1.5 })).toThrow(/options\.replicas/);
    expect(() => new RedisBackend({ client, replicaTimeout: 0 })).toThrow(/options\.replicaTimeout/);
  });
});
