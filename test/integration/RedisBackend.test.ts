import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { finalize, firstValueFrom, interval, lastValueFrom, type Subscription, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Abort,
  Abortable,
  type AbortEvent,
  NotificationsDisabledError,
  RedisBackend,
  RedisUnavailableError,
} from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds, polling a test condition (never the library's hot path). */
async function until(check: () => boolean | Promise<boolean>, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const numsub = async (client: Redis, channel: string): Promise<number> =>
  Number(((await client.pubsub('NUMSUB', channel)) as [string, number])[1]);

const channelsOf = async (client: Redis, prefix: string): Promise<string[]> =>
  ((await client.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[]).filter(
    (c) => !c.includes('\n'),
  );

describe('RedisBackend on a real redis-server', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const opened: Array<{ close(): Promise<void> }> = [];
  const subscriptions: Subscription[] = [];

  const make = (options: { prefix?: string } = {}) => {
    const backend = new RedisBackend({
      client: server.client(),
      prefix: options.prefix ?? `t:${randomUUID()}:`,
    });
    const abortable = new Abortable({ backend });
    opened.push(abortable);
    return { backend, abortable };
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterEach(async () => {
    for (const s of subscriptions.splice(0)) s.unsubscribe();
    for (const o of opened.splice(0)) await o.close();
  });
  afterAll(() => server.stop());

  it('turns keyspace notifications on, keeping the flags already set', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Ex');
    const { backend } = make();
    await backend.ready();
    const [, flags] = (await admin.config('GET', 'notify-keyspace-events')) as [string, string];
    expect(flags.split('').sort()).toEqual(['$', 'E', 'K', 'x'].sort());
  });

  it('writes one string key per id with the abortTtl as its expiry', async () => {
    const { backend, abortable } = make();
    await abortable.abort(['a', 'b'], { abortTtl: 60_000, reason: 'r' });
    const ttl = await admin.pttl(`${backend.prefix}a`);
    expect(ttl).toBeGreaterThan(59_000);
    expect(JSON.parse((await admin.get(`${backend.prefix}b`)) ?? '')).toMatchObject({
      mode: 'abort',
      reason: 'r',
    });
    expect(await abortable.aborted('a')).toMatchObject({
      id: 'a',
      mode: 'abort',
      reason: 'r',
      abortTimeout: 0,
    });
    expect(await abortable.aborted('nope')).toBeNull();
  });

  it('delivers an abort made after the watch, and releases the channel afterwards', async () => {
    const { backend, abortable } = make();
    const channel = `__keyspace@0__:${backend.prefix}job`;
    const seen = firstValueFrom(abortable.abort$('job'));
    await until(async () => (await numsub(admin, channel)) === 1);
    await abortable.abort('job', { reason: 'later' });
    expect(await seen).toMatchObject({ id: 'job', mode: 'abort', reason: 'later' });
    await until(async () => (await numsub(admin, channel)) === 0);
    expect(backend.watchedIds).toBe(0);
  });

  it('delivers an abort made before anyone watched', async () => {
    const { abortable } = make();
    await abortable.abort('early');
    expect(await firstValueFrom(abortable.abort$('early'))).toMatchObject({ id: 'early' });
  });

  it('never delivers an expired abort', async () => {
    const { abortable } = make();
    await abortable.abort('short', { abortTtl: 30 });
    await sleep(60);
    expect(await abortable.aborted('short')).toBeNull();
    const events: AbortEvent[] = [];
    subscriptions.push(abortable.abort$('short').subscribe((e) => events.push(e)));
    await sleep(100);
    expect(events).toEqual([]);
  });

  it('ignores cancel in abort$ but reports it in aborted()', async () => {
    const { abortable } = make();
    const events: AbortEvent[] = [];
    subscriptions.push(abortable.abort$('c').subscribe((e) => events.push(e)));
    await sleep(50);
    await abortable.abort('c', { mode: 'cancel' });
    await sleep(50);
    expect(events).toEqual([]);
    expect(await abortable.aborted('c')).toMatchObject({ mode: 'cancel' });
    await abortable.abort('c');
    await until(() => events.length === 1);
  });

  it('shares one channel between watchers of an id and releases it with the last', async () => {
    const { backend, abortable } = make();
    const channel = `__keyspace@0__:${backend.prefix}shared`;
    const a = abortable.abort$('shared').subscribe();
    const b = abortable.abort$('shared').subscribe();
    await until(async () => (await numsub(admin, channel)) === 1);
    a.unsubscribe();
    await sleep(20);
    expect(await numsub(admin, channel)).toBe(1);
    b.unsubscribe();
    await until(async () => (await numsub(admin, channel)) === 0);
    expect(await channelsOf(admin, backend.prefix)).toEqual([]);
  });

  it('treats glob characters in ids literally', async () => {
    const { backend, abortable } = make();
    const ids = ['a*', 'a?', 'a[bc]', 'abc', 'a\\*', 'ü✓'];
    const fired: string[] = [];
    for (const id of ids) subscriptions.push(abortable.abort$(id).subscribe((e) => fired.push(e.id)));
    await until(async () => (await channelsOf(admin, backend.prefix)).length === ids.length);
    await abortable.abort('abc');
    await until(() => fired.length > 0);
    await sleep(50);
    expect(fired).toEqual(['abc']);
    await abortable.abort('a*');
    await until(() => fired.length === 2);
    expect(fired).toEqual(['abc', 'a*']);
  });

  it('counts a malformed, huge or binary value under the prefix as an abort and keeps watching', async () => {
    const { backend, abortable } = make();
    const seen = lastValueFrom(abortable.abort$('m1').pipe(toArray()));
    await sleep(50);
    await admin.set(`${backend.prefix}m1`, 'not json {');
    expect(await seen).toEqual([expect.objectContaining({ id: 'm1', mode: 'abort', abortTimeout: 0 })]);
    await admin.set(`${backend.prefix}m2`, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    expect(await abortable.aborted('m2')).toMatchObject({ mode: 'abort' });
    await admin.set(`${backend.prefix}m3`, JSON.stringify({ mode: 'abort', reason: 'x'.repeat(100_000) }));
    expect(await abortable.aborted('m3')).toMatchObject({ mode: 'abort' });
    expect((await abortable.aborted('m3'))?.reason).toBeUndefined();
    await admin.set(
      `${backend.prefix}m4`,
      JSON.stringify({ mode: 'cancel', abortTimeout: -5, at: 'x', reason: 7 }),
    );
    expect(await abortable.aborted('m4')).toMatchObject({ mode: 'cancel', abortTimeout: 0 });
  });

  it('stops a pipeline with an abort from another process, and runs its teardown', async () => {
    const { backend, abortable } = make();
    let tornDown = false;
    const outcome = lastValueFrom(
      interval(5).pipe(
        finalize(() => {
          tornDown = true;
        }),
        abortable.throwOnAbort('cross'),
        toArray(),
      ),
    ).catch((e: unknown) => e);
    await until(async () => (await numsub(admin, `__keyspace@0__:${backend.prefix}cross`)) === 1);
    const fixture = fileURLToPath(new URL('./fixtures/abortFromChild.ts', import.meta.url));
    await execFileAsync(process.execPath, ['--import', 'tsx', fixture, server.url, backend.prefix, 'cross']);
    const error = await outcome;
    expect(error).toBeInstanceOf(Abort);
    expect((error as Abort).reason).toMatch(/^from pid \d+$/);
    expect(tornDown).toBe(true);
  });

  it('lands aborts made while the subscriber connection was down (re-check after resubscribe), once', async () => {
    const { backend, abortable } = make();
    const events: AbortEvent[] = [];
    subscriptions.push(abortable.abort$('k1').subscribe((e) => events.push(e)));
    const ids = Array.from({ length: 20 }, (_, i) => `down-${i}`);
    const landed = new Set<string>();
    for (const id of ids) subscriptions.push(abortable.abort$(id).subscribe((e) => landed.add(e.id)));
    await until(async () => (await channelsOf(admin, backend.prefix)).length === 21);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await abortable.abort(['k1', ...ids]);
    await until(() => landed.size === ids.length && events.length === 1);
    await sleep(50);
    expect(events).toHaveLength(1);
  });

  it('rejects abort() with RedisUnavailableError, cause attached, within commandTimeout when Redis is down', async () => {
    const lonely = await startRedisServer();
    const client = lonely.client({ maxRetriesPerRequest: null, retryStrategy: () => 50 });
    const backend = new RedisBackend({ client, commandTimeout: 300 });
    await client.ping();
    await lonely.kill();
    const started = Date.now();
    const error = await new Abortable({ backend }).abort('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(/unreachable/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(client.listenerCount('error')).toBe(0); // the user's client is left as it was
    expect(Date.now() - started).toBeLessThan(3000);
    await backend.close();
    await lonely.stop();
  });
});

describe('RedisBackend where notifications are off', () => {
  it('fails with NotificationsDisabledError when it may not configure them', async () => {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', ''] });
    const backend = new RedisBackend({ client: server.client(), configureNotifications: false });
    await expect(backend.ready()).rejects.toThrow(NotificationsDisabledError);
    const error = await firstValueFrom(new Abortable({ backend }).abort$('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationsDisabledError);
    expect((error as Error).message).toMatch(/notify-keyspace-events/);
    expect((error as Error).message).toMatch(/K\$/);
    await backend.close();
    await server.stop();
  });

  it('fails clearly when CONFIG is unavailable and notifications are off (probe)', async () => {
    const server = await startRedisServer({ args: ['--rename-command', 'CONFIG', ''] });
    const backend = new RedisBackend({ client: server.client(), probeTimeout: 200 });
    await expect(backend.ready()).rejects.toThrow(/notify-keyspace-events/);
    const abortable = new Abortable({ backend });
    const signal = abortable.abortSignal('x');
    await until(() => signal.aborted);
    expect(signal.reason).toBeInstanceOf(NotificationsDisabledError);
    expect(backend.watchedIds).toBe(0);
    await backend.close();
    await server.stop();
  });

  it('works when CONFIG is unavailable but an admin enabled notifications', async () => {
    const server = await startRedisServer({
      args: ['--rename-command', 'CONFIG', '', '--notify-keyspace-events', 'KEA'],
    });
    const backend = new RedisBackend({ client: server.client() });
    await backend.ready();
    const abortable = new Abortable({ backend });
    const seen = firstValueFrom(abortable.abort$('y'));
    await sleep(50);
    await abortable.abort('y');
    expect(await seen).toMatchObject({ id: 'y' });
    const admin = server.client();
    const leftovers = (await admin.keys('*')).filter((key) => key.includes('probe'));
    expect(leftovers.length).toBeLessThanOrEqual(1); // the probe key expires by itself
    await backend.close();
    await server.stop();
  });
});
