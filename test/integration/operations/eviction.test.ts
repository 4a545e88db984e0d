// Item 4 of the operational faults: marks are ordinary keys with a TTL, so a server whose maxmemory-policy
// is not noeviction may evict them (volatile-* first). The backend reads maxmemory-policy where CONFIG GET
// is allowed and warns once (RX_ABORT_EVICTION_RISK), or with requireNoEviction fails; under noeviction a
// full server's OOM reply rejects abort() with RedisOutOfMemoryError.
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Abortable,
  EvictionPolicyError,
  RedisBackend,
  type RedisBackendOptions,
  RedisOutOfMemoryError,
} from '../../../src/index.js';
import { startRedisServer } from '../../support/redisServer.js';
import { collectWarnings, until } from '../hardening/support.js';

describe('maxmemory-policy and a full server', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(policy: string, options: Partial<RedisBackendOptions> = {}) {
    const server = await startRedisServer({
      args: ['--maxmemory-policy', policy, '--notify-keyspace-events', 'K$'],
    });
    cleanups.push(() => server.stop());
    const make = () => {
      const client = server.client({ retryStrategy: () => 50 });
      const backend = new RedisBackend({ client, prefix: `ev:${randomUUID().slice(0, 8)}:`, ...options });
      cleanups.push(() => backend.close());
      return { backend, abortable: new Abortable({ backend }) };
    };
    return { server, admin: server.client(), make };
  }

  it('warns once per server, naming maxmemory-policy and its value, even across backends and reconnects', async () => {
    const warnings = collectWarnings();
    cleanups.push(() => warnings.stop());
    const { admin, make } = await setup('volatile-lru');
    const first = make();
    await first.backend.ready();
    await first.abortable.abort('a');
    const second = make();
    await second.abortable.abort('b');
    await second.backend.ready();
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await first.abortable.abort('c').catch(() => first.abortable.abort('c'));
    await first.backend.ready();
    await until(() =>
      warnings.warnings.some((w) => (w as { code?: string }).code === 'RX_ABORT_EVICTION_RISK'),
    );
    const risk = warnings.warnings.filter((w) => (w as { code?: string }).code === 'RX_ABORT_EVICTION_RISK');
    expect(risk).toHaveLength(1);
    expect(risk[0]?.message).toMatch(/maxmemory-policy is "volatile-lru"/);
    expect(risk[0]?.message).toMatch(/noeviction/);
    expect(risk[0]?.message).toMatch(/requireNoEviction/);
  });

  it('reads the policy again on reconnect: a server switched to allkeys-lru later is reported', async () => {
    const warnings = collectWarnings();
    cleanups.push(() => warnings.stop());
    const { admin, make } = await setup('noeviction');
    const { backend, abortable } = make();
    const watching = abortable.abort$('kept').subscribe({ error: () => {} });
    cleanups.push(() => watching.unsubscribe());
    await backend.ready();
    await until(
      async () =>
        Number(
          await admin
            .pubsub('NUMSUB', `__keyspace@0__:${backend.prefix}kept`)
            .then((r) => (r as number[])[1]),
        ) === 1,
      'subscribed',
    );
    const risk = () =>
      warnings.warnings.filter((w) => (w as { code?: string }).code === 'RX_ABORT_EVICTION_RISK');
    expect(risk()).toEqual([]);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await until(() => risk().length === 1, 'warned after the reconnect');
    expect(risk()[0]?.message).toMatch(/maxmemory-policy is "allkeys-lru"/);
  });

  it('with requireNoEviction, ready(), abort() and a watch reject naming maxmemory-policy', async () => {
    const { admin, make } = await setup('allkeys-lru', { requireNoEviction: true });
    const { backend, abortable } = make();
    const ready = await backend.ready().catch((e: unknown) => e);
    expect(ready).toBeInstanceOf(EvictionPolicyError);
    expect((ready as Error).message).toMatch(/maxmemory-policy is "allkeys-lru"/);
    const abort = await abortable.abort('x').catch((e: unknown) => e);
    expect(abort).toBeInstanceOf(EvictionPolicyError);
    expect(await admin.exists(`${backend.prefix}x`), 'nothing written').toBe(0);
    const watch = await firstValueFrom(abortable.abort$('y')).catch((e: unknown) => e);
    expect(watch).toBeInstanceOf(EvictionPolicyError);
    expect(backend.watchedIds).toBe(0);
  });

  it('under noeviction with memory full, abort() rejects with RedisOutOfMemoryError (the OOM reply as cause)', async () => {
    const warnings = collectWarnings();
    cleanups.push(() => warnings.stop());
    const { admin, make } = await setup('noeviction', { requireNoEviction: true });
    const { backend, abortable } = make();
    await backend.ready();
    await abortable.abort('fits');
    await admin.config('SET', 'maxmemory', '1');
    for (const call of [() => abortable.abort('full'), () => abortable.abort(['f1', 'f2'])]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisOutOfMemoryError);
      expect((error as Error).message).toMatch(/out of memory/);
      expect(String((error as Error).cause)).toMatch(/^ReplyError: OOM/);
    }
    expect(
      warnings.warnings.filter((w) => (w as { code?: string }).code === 'RX_ABORT_EVICTION_RISK'),
    ).toEqual([]);
  });
});
