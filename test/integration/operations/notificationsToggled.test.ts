// Item 1 of the operational faults: notify-keyspace-events is one server-wide setting that an admin (or
// any process) can switch off and on again. An abort issued meanwhile publishes no event, and a process
// whose own check finds notifications on cannot tell. The periodic re-read of every watched key (every
// notificationCheckInterval while something is watched) lands it in EVERY watching process.
//
// Two backends in this test process stand for two processes: each has its own command connection, its
// own subscriber connection and its own notification guard (the state that used to decide whether it
// re-read), so Redis and the library see exactly what two processes would show them; child processes
// would only add seconds of start-up.
import { randomUUID } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend } from '../../../src/index.js';
import { startRedisServer } from '../../support/redisServer.js';
import { sleep, until } from '../hardening/support.js';

const CHECK_INTERVAL = 400;

describe('notifications switched off and on again while several processes watch', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(processes: number, checkInterval = CHECK_INTERVAL) {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => server.stop());
    const prefix = `nt:${randomUUID().slice(0, 8)}:`;
    const backends = Array.from({ length: processes }, () => {
      const backend = new RedisBackend({
        client: server.client(),
        prefix,
        notificationCheckInterval: checkInterval,
      });
      cleanups.push(() => backend.close());
      return backend;
    });
    await Promise.all(backends.map((backend) => backend.ready()));
    return { server, admin: server.client(), backends, prefix };
  }

  function watch(backend: RedisBackend, ids: readonly string[]): Map<string, number> {
    const abortable = new Abortable({ backend });
    const fired = new Map<string, number>();
    const subscriptions: Subscription[] = ids.map((id) =>
      abortable
        .abort$(id)
        .subscribe({ next: () => fired.set(id, (fired.get(id) ?? 0) + 1), error: () => {} }),
    );
    cleanups.push(() => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
    return fired;
  }

  it('an abort issued while they were briefly off lands in every watching process within the interval', async () => {
    const { admin, backends } = await setup(3);
    const ids = ['t1', 't2', 't3'];
    const fired = backends.map((backend) => watch(backend, ids));
    await until(async () => backends.every((backend) => backend.watchedIds === ids.length), 'watched');
    await sleep(50);
    // Off, two aborts from a fourth process, on again at once: no backend's check ever sees them off.
    const writer = new Abortable({
      backend: new RedisBackend({ client: admin, prefix: backends[0]?.prefix }),
    });
    await admin.config('SET', 'notify-keyspace-events', '');
    await writer.abort(['t1', 't2']);
    await admin.config('SET', 'notify-keyspace-events', 'K$');
    const started = Date.now();
    await until(
      () => fired.every((process) => process.get('t1') === 1 && process.get('t2') === 1),
      'the aborts landed in every process',
      CHECK_INTERVAL * 2 + 5000,
    );
    // A bound on "lands at all", loose for a loaded machine; the guarantee is one interval.
    expect(Date.now() - started).toBeLessThan(CHECK_INTERVAL * 2 + 3000);
    expect(fired.every((process) => !process.has('t3'))).toBe(true);
  }, 20_000);

  it('costs one MGET and one EXISTS per 1,000 watched ids per interval, and an idle backend sends nothing', async () => {
    const { admin, backends } = await setup(1, 500);
    const [backend] = backends;
    if (backend === undefined) throw new Error('no backend');
    const ids = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    const abortable = new Abortable({ backend });
    const subscriptions = ids.map((id) => abortable.abort$(id).subscribe({ error: () => {} }));
    await until(() => backend.watchedIds === ids.length, 'watched');
    await sleep(200);
    const stats = async () => {
      const info = await admin.info('commandstats');
      const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { get: calls('get'), mget: calls('mget'), exists: calls('exists'), exec: calls('exec') };
    };
    const before = await stats();
    const startedAt = Date.now();
    await sleep(2600);
    const after = await stats();
    const elapsed = Date.now() - startedAt;
    const intervals = elapsed / 500;
    const multis = after.exec - before.exec;
    console.log(
      `periodic re-read: ${after.mget - before.mget} MGETs and ${after.exists - before.exists} EXISTS in ${multis} ` +
        `MULTIs over ${elapsed} ms (${intervals.toFixed(1)} intervals of 500 ms), ${after.get - before.get} GETs`,
    );
    // Every id read once per interval: one MULTI of MGET + EXISTS for the 1,000 ids, no GET.
    expect(after.get - before.get).toBe(0);
    expect(after.mget - before.mget).toBe(multis);
    expect(after.exists - before.exists).toBe(multis);
    expect(multis).toBeGreaterThanOrEqual(Math.floor(intervals) - 1);
    expect(multis).toBeLessThanOrEqual(Math.ceil(intervals) + 1);

    for (const subscription of subscriptions) subscription.unsubscribe();
    await until(() => backend.watchedIds === 0, 'released');
    await sleep(100);
    const idle = (await admin.info('commandstats')).replace(/cmdstat_info:[^\r\n]*/, '');
    await sleep(1200);
    expect(
      (await admin.info('commandstats')).replace(/cmdstat_info:[^\r\n]*/, ''),
      'idle: nothing sent',
    ).toBe(idle);
  }, 20_000);
});
