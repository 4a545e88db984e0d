// Item 2 of the operational faults: credentials rotated (a restart with another password: WRONGPASS on
// both the subscriber and the command connection) or an ACL tightened so that SUBSCRIBE on the keyspace
// channels gets NOPERM while CONFIG GET still works. Every affected watch must error (the server's reply as
// the cause), ready() must reject the same way, an abortSignal must abort with that error, a worker must
// stop the task and report it failed, and a fresh backend must fail the same way instead of hanging.
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Abortable,
  actor,
  MemoryBroker,
  RedisAuthError,
  RedisBackend,
  RedisPermissionError,
} from '../../../src/index.js';
import { harness, probe } from '../../actors/support.js';
import { startRedisServer } from '../../support/redisServer.js';
import { until, withTimeout } from '../hardening/support.js';

const COMMAND_TIMEOUT = 1000;
/** Slack over commandTimeout for a loaded machine: a bound on "never hangs", not a speed claim. */
const BOUND = COMMAND_TIMEOUT + 3000;

describe('credentials rotated or ACL tightened while watching', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a restart with another password (WRONGPASS): watches, signals, ready() and the worker fail with RedisAuthError', async () => {
    const server = await startRedisServer({
      args: ['--requirepass', 'old', '--notify-keyspace-events', 'K$'],
    });
    cleanups.push(() => server.stop());
    const prefix = `cr:${randomUUID().slice(0, 8)}:`;
    const client = server.client({ password: 'old', retryStrategy: () => 100 });
    client.on('error', () => {});
    const backend = new RedisBackend({ client, prefix, commandTimeout: COMMAND_TIMEOUT });
    const h = harness({}, { broker: new MemoryBroker(), backend, close: () => backend.close() });
    cleanups.push(() => h.teardown());
    const watch = firstValueFrom(h.abortable.abort$('w')).catch((e: unknown) => e);
    const signal = h.abortable.abortSignal('s');
    cleanups.push(() => signal.release());
    const { record, handler } = probe(60_000);
    const work = actor('rotated_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await until(() => backend.watchedIds === 3, 'watched');

    await server.restart({ args: ['--requirepass', 'rotated'] });
    const restartedAt = Date.now();
    const error = await withTimeout(watch, BOUND, 'the watch');
    expect(Date.now() - restartedAt).toBeLessThan(BOUND);
    expect(error).toBeInstanceOf(RedisAuthError);
    expect(String((error as Error).cause)).toMatch(/WRONGPASS/);
    await until(() => signal.aborted, 'the signal aborted');
    expect(signal.reason).toBeInstanceOf(RedisAuthError);
    const failed = await h.next('failed', message.messageId, BOUND);
    expect(failed.error).toBeInstanceOf(RedisAuthError);
    expect(backend.watchedIds).toBe(0);
    await expect(withTimeout(backend.ready(), BOUND, 'ready()')).rejects.toBeInstanceOf(RedisAuthError);
    await expect(withTimeout(h.abortable.abort('x'), BOUND, 'abort()')).rejects.toBeInstanceOf(
      RedisAuthError,
    );
    // A new watch on the same backend fails too, instead of waiting.
    const again = await withTimeout(firstValueFrom(h.abortable.abort$('again')), BOUND, 'a new watch').catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(RedisAuthError);

    // A fresh backend with the old password fails the same way instead of hanging.
    const stale = server.client({ password: 'old', retryStrategy: () => 100, lazyConnect: true });
    stale.on('error', () => {});
    const fresh = new RedisBackend({ client: stale, prefix, commandTimeout: COMMAND_TIMEOUT });
    cleanups.push(() => fresh.close());
    await expect(withTimeout(fresh.ready(), BOUND, 'fresh ready()')).rejects.toBeInstanceOf(RedisAuthError);
    const freshWatch = await withTimeout(
      firstValueFrom(new Abortable({ backend: fresh }).abort$('y')),
      BOUND,
      'fresh watch',
    ).catch((e: unknown) => e);
    expect(freshWatch).toBeInstanceOf(RedisAuthError);
  }, 30_000);

  it('an ACL that no longer grants the channels (NOPERM on SUBSCRIBE, CONFIG GET allowed): RedisPermissionError', async () => {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => server.stop());
    const admin = server.client();
    const prefix = `acl:${randomUUID().slice(0, 8)}:`;
    const rules = ['on', '>pw', `~${prefix}*`, '-@all', '+get', '+set', '+multi', '+exec', '+subscribe'];
    const all = [
      ...rules,
      '+unsubscribe',
      '+info',
      '+config|get',
      'resetchannels',
      `&__keyspace@0__:${prefix}*`,
    ];
    await admin.call('ACL', 'SETUSER', 'watcher', ...all);
    const client = server.client({ username: 'watcher', password: 'pw', retryStrategy: () => 100 });
    client.on('error', () => {});
    const backend = new RedisBackend({ client, prefix, commandTimeout: COMMAND_TIMEOUT });
    cleanups.push(() => backend.close());
    const abortable = new Abortable({ backend });
    await backend.ready();
    const watch = firstValueFrom(abortable.abort$('w')).catch((e: unknown) => e);
    const signal = abortable.abortSignal('s');
    cleanups.push(() => signal.release());
    await until(() => backend.watchedIds === 2, 'watched');
    await until(
      async () => ((await admin.pubsub('NUMSUB', `__keyspace@0__:${prefix}w`)) as number[])[1] === 1,
      'subscribed',
    );

    // The administrator tightens the ACL: no channels any more. Redis disconnects the affected subscriber;
    // the reconnect's SUBSCRIBE is refused while CONFIG GET still works.
    await admin.call('ACL', 'SETUSER', 'watcher', 'resetchannels');
    await admin.call('CLIENT', 'KILL', 'USER', 'watcher');
    const error = await withTimeout(watch, BOUND, 'the watch');
    expect(error).toBeInstanceOf(RedisPermissionError);
    expect(String((error as Error).cause)).toMatch(/NOPERM/);
    await until(() => signal.aborted, 'the signal aborted');
    expect(signal.reason).toBeInstanceOf(RedisPermissionError);
    expect(backend.watchedIds).toBe(0);
    await expect(withTimeout(backend.ready(), BOUND, 'ready()')).rejects.toBeInstanceOf(RedisPermissionError);

    // A fresh backend as that user: ready() rejects at once, even with nothing watched.
    const other = server.client({ username: 'watcher', password: 'pw' });
    const fresh = new RedisBackend({ client: other, prefix, commandTimeout: COMMAND_TIMEOUT });
    cleanups.push(() => fresh.close());
    await expect(withTimeout(fresh.ready(), BOUND, 'fresh ready()')).rejects.toBeInstanceOf(
      RedisPermissionError,
    );
    const freshWatch = await withTimeout(
      firstValueFrom(new Abortable({ backend: fresh }).abort$('y')),
      BOUND,
      'fresh watch',
    ).catch((e: unknown) => e);
    expect(freshWatch).toBeInstanceOf(RedisPermissionError);
  }, 30_000);
});
