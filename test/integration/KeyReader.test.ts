// Batched reads: MGET + EXISTS in one MULTI, a key of another type still told apart from a missing one, and
// the fall-back to GETs where the ACL refuses MGET or EXISTS. On a real redis-server started here.
import type { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyReader } from '../../src/backends/redis/KeyReader.js';
import { type AbortEvent, RedisBackend } from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyReader on a real Redis', () => {
  let server: RedisServerHandle;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    admin = server.client();
  });
  afterAll(() => server.stop());

  const calls = async (): Promise<Map<string, number>> =>
    new Map(
      [...(await admin.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map(([, name, n]) => [
        String(name),
        Number(n),
      ]),
    );
  const delta = (before: Map<string, number>, after: Map<string, number>, name: string): number =>
    (after.get(name) ?? 0) - (before.get(name) ?? 0);

  it('reads a batch with one MGET and one EXISTS: values, missing keys and duplicates in order', async () => {
    await admin.set('kr:a', '1');
    await admin.set('kr:c', '3');
    const reader = new KeyReader(server.client());
    const before = await calls();
    const reads = await reader.read(['kr:a', 'kr:b', 'kr:c', 'kr:a']);
    const after = await calls();
    expect(reads).toEqual([
      [null, '1'],
      [null, null],
      [null, '3'],
      [null, '1'],
    ]);
    expect(delta(before, after, 'mget')).toBe(1);
    expect(delta(before, after, 'exists')).toBe(1);
    expect(delta(before, after, 'get')).toBe(0);
    expect(reader.bulk).toBe(true);
  });

  it('gives a key of another type its own WRONGTYPE error, as a GET would, and the others their values', async () => {
    await admin.set('kr:s', 'v');
    await admin.lpush('kr:list', 'x');
    await admin.hset('kr:hash', 'f', 'x');
    const reader = new KeyReader(server.client());
    const before = await calls();
    const reads = await reader.read(['kr:s', 'kr:list', 'kr:none', 'kr:hash']);
    const after = await calls();
    expect(reads[0]).toEqual([null, 'v']);
    expect(String(reads[1]?.[0])).toMatch(/^ReplyError: WRONGTYPE/);
    expect(reads[2]).toEqual([null, null]);
    expect(String(reads[3]?.[0])).toMatch(/^ReplyError: WRONGTYPE/);
    // Only the keys that read nil are read again, one GET each.
    expect(delta(before, after, 'get')).toBe(3);
  });

  it('remembers a key of another type: later batches read it with a GET of its own, not every nil key', async () => {
    await admin.lpush('kr:r-list', 'x');
    await admin.set('kr:r-s', 'v');
    const keys = ['kr:r-s', 'kr:r-list', 'kr:r-none1', 'kr:r-none2', 'kr:r-none3'];
    const reader = new KeyReader(server.client());
    await reader.read(keys); // finds the list: reads the 4 nil keys with GETs, once
    const before = await calls();
    const reads = await reader.read(keys);
    const after = await calls();
    expect(String(reads[1]?.[0])).toMatch(/^ReplyError: WRONGTYPE/);
    expect(reads[0]).toEqual([null, 'v']);
    expect(reads.slice(2)).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(delta(before, after, 'get')).toBe(1);
    // A string again: it is read by the MGET and forgotten.
    await admin.del('kr:r-list');
    await admin.set('kr:r-list', 'back');
    expect((await reader.read(keys))[1]).toEqual([null, 'back']);
    const later = await calls();
    await reader.read(keys);
    expect(delta(later, await calls(), 'get')).toBe(0);
  });

  it('keeps the values it read when reading the nil keys again fails: only those carry the error', async () => {
    await admin.call(
      'ACL',
      'SETUSER',
      'kr-noget2',
      'on',
      '>pw',
      'resetkeys',
      '~kr:*',
      '-@all',
      '+mget',
      '+exists',
      '+multi',
      '+exec',
    );
    await admin.set('kr:f-s', 'kept');
    await admin.hset('kr:f-hash', 'f', 'x');
    const reader = new KeyReader(server.client({ username: 'kr-noget2', password: 'pw' }));
    const reads = await reader.read(['kr:f-s', 'kr:f-hash', 'kr:f-none']);
    expect(reads[0]).toEqual([null, 'kept']);
    expect(String(reads[1]?.[0])).toMatch(/NOPERM/);
    expect(String(reads[2]?.[0])).toMatch(/NOPERM/);
  });

  it('falls back to GETs for good when the ACL refuses MGET or EXISTS, with one entry in ACL LOG', async () => {
    await admin.call(
      'ACL',
      'SETUSER',
      'kr-minimal',
      'on',
      '>pw',
      'resetkeys',
      '~kr:*',
      '-@all',
      '+get',
      '+multi',
      '+exec',
      '+exists',
    );
    await admin.call('ACL', 'LOG', 'RESET');
    await admin.set('kr:m1', 'one');
    const reader = new KeyReader(server.client({ username: 'kr-minimal', password: 'pw' }));
    expect(await reader.read(['kr:m1', 'kr:m2'])).toEqual([
      [null, 'one'],
      [null, null],
    ]);
    expect(reader.bulk).toBe(false);
    expect(await reader.read(['kr:m2', 'kr:m1'])).toEqual([
      [null, null],
      [null, 'one'],
    ]);
    // ACL LOG entries are flat [field, value, ...] lists; 'object' is the refused command. (The client's
    // ready check, INFO, is refused too: not the reader's.)
    const refused = ((await admin.call('ACL', 'LOG')) as unknown[][]).map(
      (entry) => entry[entry.indexOf('object') + 1],
    );
    expect(refused.filter((object) => object !== 'info')).toEqual(['mget']);
  });

  it('still rejects with the server reply for a refusal it cannot read around (no +get)', async () => {
    await admin.call(
      'ACL',
      'SETUSER',
      'kr-noget',
      'on',
      '>pw',
      'resetkeys',
      '~kr:*',
      '-@all',
      '+multi',
      '+exec',
    );
    const reader = new KeyReader(server.client({ username: 'kr-noget', password: 'pw' }));
    await expect(reader.read(['kr:a', 'kr:b'])).rejects.toThrow(/NOPERM.*'get'/);
  });

  it('a watching backend re-reads many keys in bulk, and a key of another type still counts as an abort', async () => {
    const prefix = 'kr-watch:';
    await admin.lpush(`${prefix}list`, 'x');
    await admin.set(`${prefix}marked`, JSON.stringify({ mode: 'cancel', abortTimeout: 0, at: 1 }));
    const backend = new RedisBackend({ client: server.client(), prefix });
    const seen = new Map<string, AbortEvent>();
    const ids = ['list', 'marked', ...Array.from({ length: 50 }, (_, i) => `free-${i}`)];
    const before = await calls();
    const subscriptions: Subscription[] = ids.map((id) =>
      backend.watch(id).subscribe((event) => seen.set(id, event)),
    );
    try {
      for (let waited = 0; seen.size < 2 && waited < 5000; waited += 10) await sleep(10);
      await sleep(50);
      const after = await calls();
      expect(seen.get('list')).toMatchObject({ id: 'list', mode: 'abort' });
      expect(seen.get('marked')).toMatchObject({ id: 'marked', mode: 'cancel' });
      expect(seen.size).toBe(2);
      // The subscribe re-read: one MGET for the 52 keys; EXISTS counts one key more than MGET found, so the
      // 51 keys that read nil are read again one by one (a key of another type is among them).
      expect(delta(before, after, 'mget')).toBe(1);
      expect(delta(before, after, 'get')).toBe(51);
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
      await backend.close();
    }
  });
});
