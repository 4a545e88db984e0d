// Confirmed aborts on a real redis-server: outcome keys, watches across backends, timeouts, release,
// reconnects and malformed values.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, type AbortOutcome, RedisBackend } from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';
import { channelOf, numsub, sleep, until } from './hardening/support.js';

describe('abort outcomes on a real redis-server', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const opened: Abortable[] = [];
  const subscriptions: Subscription[] = [];

  /** A backend on a client of its own (as another process would have). */
  const make = (prefix: string) => {
    const backend = new RedisBackend({ client: server.client(), prefix });
    const abortable = new Abortable({ backend });
    const errors: unknown[] = [];
    subscriptions.push(backend.errors$.subscribe((error) => errors.push(error)));
    opened.push(abortable);
    return { backend, abortable, errors };
  };
  const outcomeKey = (prefix: string, id: string) => `${prefix}\noutcome:${id}`;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    for (const abortable of opened.splice(0)) await abortable.close();
  });
  afterAll(() => server.stop());

  it('stores an outcome under its own key with the ttl, and another backend sees it from before its subscription', async () => {
    const prefix = `o:${randomUUID()}:`;
    const worker = make(prefix);
    const client = make(prefix);
    await worker.abortable.reportOutcome(
      { id: 'job-1', outcome: 'stopped', workerId: 'w-1' },
      { ttl: 60_000 },
    );
    const key = outcomeKey(prefix, 'job-1');
    expect(await admin.pttl(key)).toBeGreaterThan(59_000);
    expect(JSON.parse((await admin.get(key)) ?? '')).toEqual({
      outcome: 'stopped',
      at: expect.any(Number),
      workerId: 'w-1',
    });
    expect(await admin.exists(`${prefix}job-1`)).toBe(0); // no mark was written
    const seen: AbortOutcome[] = [];
    subscriptions.push(client.abortable.outcome$('job-1').subscribe((outcome) => seen.push(outcome)));
    await until(() => seen.length === 1, 'outcome from before the subscription');
    expect(seen[0]).toMatchObject({ id: 'job-1', outcome: 'stopped', workerId: 'w-1' });
    await until(async () => client.backend.watchedIds === 0, 'outcome$ released its watch');
    expect((await numsub(admin, [channelOf(0, key)])).get(channelOf(0, key))).toBe(0);
  });

  it('abortAndWait resolves null on timeout, writes the marks, and releases every watch', async () => {
    const prefix = `o:${randomUUID()}:`;
    const { backend, abortable } = make(prefix);
    const ids = ['a', 'b', 'c'];
    const pending = abortable.abortAndWait(ids, { timeout: 300 });
    const channels = ids.map((id) => channelOf(0, outcomeKey(prefix, id)));
    await until(async () => [...(await numsub(admin, channels)).values()].every((count) => count === 1));
    expect(backend.watchedIds).toBe(3);
    expect(await pending).toEqual([null, null, null]);
    for (const id of ids) expect(await admin.exists(`${prefix}${id}`)).toBe(1);
    expect(backend.watchedIds).toBe(0);
    await until(async () => [...(await numsub(admin, channels)).values()].every((count) => count === 0));
  });

  it('abortAndWait gets an outcome written while its subscriber connection was down (re-read on resubscribe)', async () => {
    const prefix = `o:${randomUUID()}:`;
    const { backend, abortable } = make(prefix);
    const key = outcomeKey(prefix, 'job-1');
    const channel = channelOf(0, key);
    const pending = abortable.abortAndWait('job-1', { timeout: 10_000 });
    await until(async () => (await numsub(admin, [channel])).get(channel) === 1, 'watch subscribed');
    // Kill the subscriber and write the outcome in one pipeline: the SET runs before any reconnect, so
    // its keyspace event reaches nobody and only the re-read after resubscribing can deliver it.
    const value = JSON.stringify({ outcome: 'stopped', at: Date.now(), workerId: 'elsewhere' });
    const results = await admin
      .pipeline()
      .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
      .set(key, value, 'PX', 60_000)
      .exec();
    expect(results?.[0]?.[1]).toBeGreaterThanOrEqual(1);
    expect(await pending).toMatchObject({ id: 'job-1', outcome: 'stopped', workerId: 'elsewhere' });
    expect(backend.watchedIds).toBe(0);
  });

  it('a malformed outcome value is reported on errors$ and ignored; the watch goes on', async () => {
    const prefix = `o:${randomUUID()}:`;
    const { abortable, errors } = make(prefix);
    const key = outcomeKey(prefix, 'job-1');
    await admin.set(key, 'not json', 'PX', 60_000);
    expect(await abortable.outcome('job-1')).toBeNull();
    const seen: AbortOutcome[] = [];
    subscriptions.push(abortable.outcome$('job-1').subscribe((outcome) => seen.push(outcome)));
    await until(() => errors.length >= 2, 'the value read once the watch is established');
    await admin.set(key, JSON.stringify({ outcome: 'exploded' }), 'PX', 60_000);
    await until(() => errors.length >= 3, 'three malformed values reported');
    await sleep(50);
    expect(seen).toEqual([]);
    for (const error of errors) expect(String(error)).toMatch(/malformed abort outcome for id "job-1"/);
    await abortable.reportOutcome({ id: 'job-1', outcome: 'finished' });
    await until(() => seen.length === 1, 'the valid outcome');
    expect(seen[0]).toMatchObject({ id: 'job-1', outcome: 'finished' });
  });
});
