import { randomUUID } from 'node:crypto';
import { firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Abortable, type AbortEvent, NotificationsDisabledError, RedisBackend } from '../../src/index.js';
import { startRedisServer } from '../support/redisServer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, timeout = 8000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('RedisBackend under faults', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: { persistence?: boolean; checkInterval?: number; configure?: boolean } = {}) {
    const server = await startRedisServer({ persistence: options.persistence ?? false });
    cleanups.push(() => server.stop());
    const client = server.client({ maxRetriesPerRequest: null, retryStrategy: () => 50 });
    const backend = new RedisBackend({
      client,
      prefix: `f:${randomUUID()}:`,
      notificationCheckInterval: options.checkInterval ?? 0,
      configureNotifications: options.configure ?? true,
      commandTimeout: 3000,
    });
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    return { server, backend, abortable, admin: server.client() };
  }

  function watchAll(abortable: Abortable, ids: string[]) {
    const landed = new Map<string, number>();
    const subscriptions: Subscription[] = ids.map((id) =>
      abortable.abort$(id).subscribe(() => landed.set(id, (landed.get(id) ?? 0) + 1)),
    );
    cleanups.push(() => {
      for (const s of subscriptions) s.unsubscribe();
    });
    return landed;
  }

  it('recovers after a restart without persistence: notifications re-enabled, later aborts land', async () => {
    const { server, backend, abortable, admin } = await setup();
    const landed = watchAll(abortable, ['r1', 'r2']);
    await backend.ready();
    await until(
      async () => ((await admin.pubsub('NUMSUB', `__keyspace@0__:${backend.prefix}r1`)) as number[])[1] === 1,
    );
    await server.restart();
    // CONFIG SET settings are gone after the restart; the backend re-applies them on reconnect.
    await until(async () => {
      const [, flags] = (await admin
        .config('GET', 'notify-keyspace-events')
        .catch(() => ['', ''])) as string[];
      return (flags ?? '').includes('K');
    });
    await until(
      async () => ((await admin.pubsub('NUMSUB', `__keyspace@0__:${backend.prefix}r1`)) as number[])[1] === 1,
    );
    expect(await abortable.aborted('r1')).toBeNull(); // marks are gone without persistence
    await abortable.abort('r1');
    await until(() => landed.get('r1') === 1);
    expect(landed.has('r2')).toBe(false);
  });

  it('delivers a persisted abort after a restart with persistence, once', async () => {
    const { server, backend, abortable, admin } = await setup({ persistence: true });
    const landed = watchAll(abortable, ['p1']);
    await until(
      async () => ((await admin.pubsub('NUMSUB', `__keyspace@0__:${backend.prefix}p1`)) as number[])[1] === 1,
    );
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await abortable.abort('p1', { abortTtl: 60_000 });
    await server.kill();
    await server.restart();
    await until(() => landed.get('p1') === 1);
    expect(await abortable.aborted('p1')).toMatchObject({ id: 'p1', mode: 'abort' });
    await sleep(100);
    expect(landed.get('p1')).toBe(1);
  });

  it('detects notifications switched off while watching, turns them back on and re-reads', async () => {
    const { backend, abortable, admin } = await setup({ checkInterval: 100 });
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'RX_ABORT_NOTIFICATIONS_RESTORED') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    cleanups.push(() => {
      process.off('warning', onWarning);
    });
    const landed = watchAll(abortable, ['n1', 'n-kept']);
    await backend.ready();
    await sleep(50);
    await admin.config('SET', 'notify-keyspace-events', '');
    await abortable.abort('n1'); // no event is published now
    // Both the periodic re-read and the repair re-read can land it (whichever runs first); 'n-kept' stays
    // watched so the check keeps running and warns.
    await until(() => landed.get('n1') === 1 && warnings.length > 0);
    const [, flags] = (await admin.config('GET', 'notify-keyspace-events')) as string[];
    expect(flags).toContain('K');
  });

  it('errors every watch when notifications are switched off and it may not turn them on', async () => {
    const { backend, abortable, admin } = await setup({ checkInterval: 100, configure: false });
    await admin.config('SET', 'notify-keyspace-events', 'K$');
    await backend.ready();
    const failure = firstValueFrom(abortable.abort$('n2')).catch((e: unknown) => e);
    await sleep(50);
    await admin.config('SET', 'notify-keyspace-events', '');
    expect(await failure).toBeInstanceOf(NotificationsDisabledError);
    expect(backend.watchedIds).toBe(0);
  });

  it('sends nothing while idle, and nothing periodic while nothing is watched', async () => {
    const { backend, abortable, admin } = await setup({ checkInterval: 50 });
    const events: AbortEvent[] = [];
    const sub = abortable.abort$('idle').subscribe((e) => events.push(e));
    await backend.ready();
    await sleep(50);
    sub.unsubscribe();
    await sleep(100);
    const before = await admin.info('commandstats');
    await sleep(300);
    const after = await admin.info('commandstats');
    const count = (info: string) =>
      [...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
        .filter(([, name]) => name !== 'info')
        .reduce((sum, [, , calls]) => sum + Number(calls), 0);
    expect(count(after)).toBe(count(before));
  });
});
