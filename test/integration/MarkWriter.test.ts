// The one-hop path: abort() publishes each mark's value behind its SET, in one MULTI, and a watcher takes
// the value instead of reading the key. Keyspace notifications stay the source of truth: a mark written by
// anything else is still seen (two hops), a published message that is not a mark is never trusted, and a
// published value without its own `set` event is ignored.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PUBLISHED_BATCH } from '../../src/backends/redis/MarkWriter.js';
import { Abortable, type AbortEvent, RedisBackend } from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('MarkWriter: marks published with their SET', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const opened: Abortable[] = [];
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    admin = server.client();
  });
  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    for (const abortable of opened.splice(0)) await abortable.close();
  });
  afterAll(() => server.stop());

  const calls = async (command: string): Promise<number> =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info('commandstats'))?.[1] ?? 0);

  /** A backend watching `id` with a bare watch, once its subscription and re-read are done. */
  async function watching(id: string) {
    const prefix = `mw:${randomUUID().slice(0, 8)}:`;
    const backend = new RedisBackend({ client: server.client(), prefix });
    const abortable = new Abortable({ backend });
    opened.push(abortable);
    const seen: AbortEvent[] = [];
    subscriptions.push(backend.watch(id).subscribe((event) => seen.push(event)));
    await backend.ready();
    const channel = `__keyspace@0__:${prefix}${id}`;
    await until(async () => Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]) === 1);
    await sleep(50); // the re-read after subscribing is back
    return { backend, abortable, seen, key: `${prefix}${id}`, channel };
  }

  it('abort() writes SET and PUBLISH in one MULTI, and the watcher needs no GET', async () => {
    const { abortable, seen, key } = await watching('job-1');
    const before = { get: await calls('get'), publish: await calls('publish'), exec: await calls('exec') };
    await abortable.abort('job-1', { mode: 'cancel', reason: 'one hop', abortTimeout: 7 });
    await until(() => seen.length === 1);
    await sleep(50);
    expect(seen).toEqual([
      expect.objectContaining({ id: 'job-1', mode: 'cancel', reason: 'one hop', abortTimeout: 7 }),
    ]);
    expect(await calls('get')).toBe(before.get);
    expect(await calls('publish')).toBe(before.publish + 1);
    expect(await calls('exec')).toBe(before.exec + 1);
    expect(await admin.pttl(key)).toBeGreaterThan(0);
  });

  it('still sees a mark written by someone else (redis-cli SET): the set event, then a GET', async () => {
    const { seen, key } = await watching('job-2');
    const gets = await calls('get');
    await admin.set(key, JSON.stringify({ mode: 'abort', abortTimeout: 0, at: 5 }), 'PX', 60_000);
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ id: 'job-2', mode: 'abort', at: 5 });
    expect(await calls('get')).toBe(gets + 1);
  });

  it('ignores a published value without its set event (a stray PUBLISH triggers nothing)', async () => {
    const { abortable, seen, channel } = await watching('job-3');
    await admin.publish(channel, JSON.stringify({ mode: 'abort', abortTimeout: 0, at: 1 }));
    await admin.publish(channel, '{"mode":"abort"');
    await sleep(100);
    expect(seen).toEqual([]);
    // The watch is alive: a real abort still lands.
    await abortable.abort('job-3');
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ id: 'job-3', mode: 'abort' });
  });

  it('reads the key when the value behind a set is not a well-formed mark, and trusts only what is stored', async () => {
    const { seen, key, channel } = await watching('job-4');
    for (const garbage of [
      '{oops',
      '{"mode":"abort","abortTimeout":0,"at":1,"extra":1}',
      '{"mode":"explode"}',
    ]) {
      seen.length = 0;
      const gets = await calls('get');
      const stored = JSON.stringify({ mode: 'cancel', abortTimeout: 0, at: 3 });
      await admin.multi().set(key, stored, 'PX', 60_000).publish(channel, garbage).exec();
      await until(() => seen.length === 1);
      await sleep(30);
      expect(seen).toEqual([{ id: 'job-4', mode: 'cancel', abortTimeout: 0, at: 3 }]);
      expect(await calls('get')).toBe(gets + 1);
    }
  });

  it('with notify-keyspace-events KEA (set, then expire) the value still counts', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'KEA');
    try {
      const { abortable, seen } = await watching('job-5');
      const gets = await calls('get');
      await abortable.abort('job-5');
      await until(() => seen.length === 1);
      await sleep(30);
      expect(seen).toHaveLength(1);
      expect(await calls('get')).toBe(gets);
    } finally {
      await admin.config('SET', 'notify-keyspace-events', 'K$');
    }
  });

  it.each([
    [MAX_PUBLISHED_BATCH, 'published: no read', 0],
    [MAX_PUBLISHED_BATCH + 1, 'a bulk abort, written alone: one batched read', 1],
  ])('a batch of %i ids (%s): each watcher gets its own mark, once', async (count, _how, expectedReads) => {
    const prefix = `mw:${randomUUID().slice(0, 8)}:`;
    const backend = new RedisBackend({ client: server.client(), prefix });
    const abortable = new Abortable({ backend });
    opened.push(abortable);
    const ids = Array.from({ length: count }, (_, i) => `b-${i}`);
    const seen = new Map<string, number>();
    for (const id of ids) {
      subscriptions.push(backend.watch(id).subscribe(() => seen.set(id, (seen.get(id) ?? 0) + 1)));
    }
    await backend.ready();
    await until(
      async () =>
        ((await admin.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[]).length === count,
    );
    await sleep(50);
    const [gets, mgets, publishes] = [await calls('get'), await calls('mget'), await calls('publish')];
    await abortable.abort(ids, { mode: 'cancel' });
    await until(() => seen.size === ids.length);
    await sleep(50);
    expect([...seen.values()].every((times) => times === 1)).toBe(true);
    // Read in one batch (one MGET for every key), or not at all: never a GET per key.
    expect(await calls('get')).toBe(gets);
    expect(await calls('mget')).toBe(mgets + expectedReads);
    expect(await calls('publish')).toBe(publishes + (expectedReads === 0 ? count : 0));
  });
});
