// A subscriber connection that ends for good: the user's ioredis `retryStrategy` gave up (returned null), so
// ioredis emits `end` and never reconnects. Every watch must error with RedisUnavailableError (the cause says
// the connection ended), ready() must reject the same way, and a watch started afterwards errors too, instead
// of all of them waiting forever. Same on Cluster when `clusterRetryStrategy` gives up.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend, RedisUnavailableError } from '../../../src/index.js';
import { startRedisCluster } from '../../support/redisCluster.js';
import { freePort, startRedisServer } from '../../support/redisServer.js';
import { channelsUnder, until, withTimeout } from '../hardening/support.js';

/** The error a watch or ready() must end with: unavailable, the cause saying the connection ended. */
function expectEnded(error: unknown): void {
  expect(error).toBeInstanceOf(RedisUnavailableError);
  expect(String((error as Error).cause)).toMatch(/connection ended/);
}

describe('the subscriber connection ends for good', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('every watch errors, ready() rejects, and a later watch errors too (single Redis)', async () => {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => server.stop());
    // Gives up after three attempts (each refused while the server is gone).
    const client = server.client({ retryStrategy: (times) => (times > 3 ? null : 50) });
    client.on('error', () => {});
    const backend = new RedisBackend({ client, prefix: `end:${randomUUID().slice(0, 8)}:` });
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    const errors = ['a', 'b', 'c'].map((id) => firstValueFrom(abortable.abort$(id)).catch((e: unknown) => e));
    const outcome = firstValueFrom(backend.watchOutcome('a')).catch((e: unknown) => e);
    const signal = abortable.abortSignal('d');
    await backend.ready();
    const admin = server.client();
    await until(async () => (await channelsUnder(admin, 0, backend.prefix)).length === 5, 'watched');
    admin.disconnect();

    await server.kill();
    for (const error of await withTimeout(Promise.all([...errors, outcome]), 10_000, 'the watches'))
      expectEnded(error);
    await until(() => signal.aborted, 'the signal aborted');
    expectEnded(signal.reason);
    expectEnded(await withTimeout(backend.ready(), 5000, 'ready()').catch((e: unknown) => e));
    // Started after the end: errors too (at once, not after a timeout).
    expectEnded(
      await withTimeout(firstValueFrom(abortable.abort$('late')), 5000, 'a later watch').catch(
        (e: unknown) => e,
      ),
    );
    expect(backend.watchedIds).toBe(0);
    signal.release();
  }, 30_000);

  it('on Cluster, when clusterRetryStrategy gives up, every watch errors and ready() rejects', async () => {
    const cluster = await startRedisCluster({ masters: 3, args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => cluster.stop());
    const client = cluster.client({ clusterRetryStrategy: (times) => (times > 3 ? null : 50) });
    client.on('error', () => {});
    const backend = new RedisBackend({ client, prefix: `endc:${randomUUID().slice(0, 8)}:` });
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    const errors = ['a', 'b', 'c'].map((id) => firstValueFrom(abortable.abort$(id)).catch((e: unknown) => e));
    await backend.ready();
    await until(() => backend.watchedIds === 3, 'watched');
    const admin = cluster.nodes[0]?.client();
    if (admin === undefined) throw new Error('no node');
    await until(async () => (await channelsUnder(admin, 0, backend.prefix)).length === 3, 'subscribed');
    admin.disconnect();

    await Promise.all(cluster.nodes.map((node) => node.kill()));
    // A slot refresh answered by a node not yet killed can put a dead node back into ioredis's pool as a
    // lazy connection, and the cluster client notices that it is gone only when a command needs it (as
    // any application's next command would): then it retries, gives up and ends.
    await client.get('any').catch(() => {});
    for (const error of await withTimeout(Promise.all(errors), 15_000, 'the watches')) expectEnded(error);
    expectEnded(await withTimeout(backend.ready(), 5000, 'ready()').catch((e: unknown) => e));
    expectEnded(
      await withTimeout(firstValueFrom(abortable.abort$('late')), 5000, 'a later watch').catch(
        (e: unknown) => e,
      ),
    );
    expect(backend.watchedIds).toBe(0);
  }, 60_000);

  it.each([
    [false, 'connecting at once'],
    [true, 'lazyConnect: watching connects it'],
  ])(
    "a Cluster client that ends before it was ever ready: ready() rejects and leaves no 'ready' listener (lazyConnect %s, %s)",
    async (lazyConnect) => {
      const port = await freePort(); // nothing listens there
      const client = new Cluster([{ host: '127.0.0.1', port }], {
        clusterRetryStrategy: (times) => (times > 2 ? null : 20),
        lazyConnect,
      });
      client.on('error', () => {});
      const backend = new RedisBackend({ client, prefix: `endr:${randomUUID().slice(0, 8)}:` });
      cleanups.push(() => backend.close());
      const before = client.listenerCount('ready');
      const error = await withTimeout(
        backend.ready().catch((e: unknown) => e),
        10_000,
        'ready()',
      );
      expectEnded(error);
      expect(client.listenerCount('ready')).toBe(before);
    },
    20_000,
  );
});
