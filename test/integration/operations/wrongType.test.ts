// Item 3 of the operational faults: anything can write under the prefix. A key of another type on a mark
// (LPUSH/HSET) makes GET fail with WRONGTYPE; it counts as an abort with no details, like a malformed
// string (fail closed), for aborted(), for watches and for the worker. And a reply error that can never
// heal (NOPERM on the pre-start check) settles the message once instead of returning it to the queue
// forever.
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Abortable,
  AbortCheckError,
  actor,
  MemoryBroker,
  RedisBackend,
  RedisPermissionError,
} from '../../../src/index.js';
import { type Harness, harness, probe, sleep, typesOf } from '../../actors/support.js';
import { startRedisServer } from '../../support/redisServer.js';

const NO_DETAILS = { mode: 'abort', abortTimeout: 0 };

describe('a value of another type under the prefix', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(backendOptions: { notificationCheckInterval?: number } = {}) {
    const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    cleanups.push(() => server.stop());
    const backend = new RedisBackend({
      client: server.client(),
      prefix: `wt:${randomUUID().slice(0, 8)}:`,
      ...backendOptions,
    });
    const h: Harness<MemoryBroker, RedisBackend> = harness(
      {},
      {
        broker: new MemoryBroker(),
        backend,
        close: () => backend.close(),
      },
    );
    cleanups.push(() => h.teardown());
    return { server, admin: server.client(), backend, h };
  }

  it('aborted() and a new watch see an abort with no details', async () => {
    const { admin, backend, h } = await setup();
    await admin.lpush(`${backend.prefix}listed`, 'x');
    await admin.hset(`${backend.prefix}hashed`, 'f', 'v');
    const listed = await h.abortable.aborted('listed');
    expect(listed).toMatchObject({ id: 'listed', ...NO_DETAILS });
    expect(listed).not.toHaveProperty('reason');
    expect(await h.abortable.aborted('hashed')).toMatchObject({ id: 'hashed', ...NO_DETAILS });
    const seen = await firstValueFrom(h.abortable.abort$('hashed').pipe(timeout(5000)));
    expect(seen).toMatchObject({ id: 'hashed', ...NO_DETAILS });
    // Also in a batched read (a MULTI of GETs, one of them WRONGTYPE, one a real mark, one nothing).
    await h.abortable.abort('real', { reason: 'by hand' });
    const watches = ['listed', 'real', 'none'].map((id) =>
      firstValueFrom(h.abortable.abort$(id).pipe(timeout(1000))).catch(() => null),
    );
    const [a, b, c] = await Promise.all(watches);
    expect(a).toMatchObject({ id: 'listed', ...NO_DETAILS });
    expect(b).toMatchObject({ id: 'real', reason: 'by hand' });
    expect(c).toBeNull();
  });

  it('a running watch fires when the key turns into a list (found by the periodic re-read)', async () => {
    const { admin, backend, h } = await setup({ notificationCheckInterval: 300 });
    const seen = firstValueFrom(h.abortable.abort$('turned').pipe(timeout(5000)));
    await sleep(100);
    await admin.rpush(`${backend.prefix}turned`, 'x'); // no string event: only the re-read can see it
    expect(await seen).toMatchObject({ id: 'turned', ...NO_DETAILS });
  });

  it('the worker skips the message once, never requeues it', async () => {
    const { admin, backend, h } = await setup();
    const { record, handler } = probe();
    const work = actor('wrong_type_work', handler, { broker: h.broker });
    const message = await work.send();
    await admin.lpush(`${backend.prefix}${message.messageId}`, 'x');
    h.worker();
    const skipped = await h.next('skipped', message.messageId);
    expect(skipped.event).toMatchObject(NO_DETAILS);
    await sleep(300);
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'skipped']);
    expect(record.calls).toBe(0);
  });

  it('a permanent refusal of the pre-start check (NOPERM) fails the message once instead of looping', async () => {
    const { server, admin } = await setup();
    const prefix = `np:${randomUUID().slice(0, 8)}:`;
    await admin.call('ACL', 'SETUSER', 'noget', 'on', '>pw', `~${prefix}*`, '+@all', '-get');
    const backend = new RedisBackend({
      client: server.client({ username: 'noget', password: 'pw' }),
      prefix,
    });
    const h = harness({}, { broker: new MemoryBroker(), backend, close: () => backend.close() });
    cleanups.push(() => h.teardown());
    const { record, handler } = probe();
    const work = actor('noperm_work', handler, { broker: h.broker });
    const message = await work.send();
    h.worker({ abortCheckAttempts: 5, abortCheckBackoff: 50 });
    const failed = await h.next('failed', message.messageId);
    expect(failed.error).toBeInstanceOf(AbortCheckError);
    expect((failed.error as Error).cause).toBeInstanceOf(RedisPermissionError);
    expect(String(((failed.error as Error).cause as Error).cause)).toMatch(/NOPERM/);
    await sleep(300);
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'failed']);
    expect(record.calls).toBe(0);
    await expect(new Abortable({ backend }).aborted('x')).rejects.toBeInstanceOf(RedisPermissionError);
  });
});
