// A key of another type where an abort outcome belongs (someone ran HSET on `<prefix>\noutcome:<id>`) tells
// nothing: a watch of that outcome reads it as "no outcome", quietly. It is reported on errors$ once per
// watch, not again at every periodic re-read (which would be noise every notificationCheckInterval).
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type AbortOutcome, RedisBackend } from '../../../src/index.js';
import { startRedisServer } from '../../support/redisServer.js';
import { sleep, until } from '../hardening/support.js';

const isWrongType = (error: unknown): boolean => /^WRONGTYPE/.test((error as Error)?.message ?? '');

describe('an outcome key of another type', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reads as no outcome, is reported once per watch and not at every periodic re-read', async () => {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => server.stop());
    const interval = 100;
    const backend = new RedisBackend({
      client: server.client(),
      prefix: `wto:${randomUUID().slice(0, 8)}:`,
      notificationCheckInterval: interval,
    });
    cleanups.push(() => backend.close());
    const errors: unknown[] = [];
    const errorSubscription = backend.errors$.subscribe((error) => errors.push(error));
    cleanups.push(() => errorSubscription.unsubscribe());
    const admin = server.client();
    const key = `${backend.prefix}\noutcome:job`;
    await admin.hset(key, 'f', 'v');

    const seen: AbortOutcome[] = [];
    const failures: unknown[] = [];
    const watching = backend.watchOutcome('job').subscribe({
      next: (outcome) => seen.push(outcome),
      error: (error) => failures.push(error),
    });
    cleanups.push(() => watching.unsubscribe());
    await until(() => errors.some(isWrongType), 'the first read found the hash');
    const reads = async (): Promise<number> =>
      Number(/cmdstat_get:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    const readsBefore = await reads();
    await sleep(interval * 8);
    expect(await reads(), 'the periodic re-read ran meanwhile').toBeGreaterThanOrEqual(readsBefore + 4);
    expect(errors.filter(isWrongType), 'reported once, not at every re-read').toHaveLength(1);
    expect(seen).toEqual([]);
    expect(failures).toEqual([]);

    // The watch goes on: a real outcome written later is delivered.
    await admin.del(key);
    const next = firstValueFrom(backend.watchOutcome('job').pipe(timeout(5000)));
    await backend.reportOutcome({ id: 'job', outcome: 'stopped', workerId: 'w1', at: Date.now() }, 60_000);
    expect(await next).toMatchObject({ id: 'job', outcome: 'stopped' });
    await until(() => seen.length === 1, 'the first watch got it too');
  });
});
