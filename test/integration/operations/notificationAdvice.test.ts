// From issue 9: changing notify-keyspace-events is never silent (one RX_ABORT_CONFIG_CHANGED warning naming
// the old and new value), and NotificationsDisabledError's advice fits the situation it reports.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { NotificationsDisabledError, RedisBackend, type RedisBackendOptions } from '../../../src/index.js';
import { startRedisServer } from '../../support/redisServer.js';
import { collectWarnings } from '../hardening/support.js';

const codeOf = (warning: Error): string | undefined => (warning as { code?: string }).code;

describe('notification guard: warnings and advice', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server() {
    const handle = await startRedisServer();
    cleanups.push(() => handle.stop());
    return handle;
  }

  const backendOn = (client: Redis, options: Partial<RedisBackendOptions> = {}) => {
    const backend = new RedisBackend({
      client,
      prefix: `na:${randomUUID().slice(0, 8)}:`,
      probeTimeout: 300,
      ...options,
    });
    cleanups.push(() => backend.close());
    return backend;
  };

  it('says once, naming the old and new value, that it changed notify-keyspace-events', async () => {
    const warnings = collectWarnings();
    cleanups.push(() => warnings.stop());
    const redis = await server();
    await backendOn(redis.client()).ready();
    await backendOn(redis.client()).ready();
    const changed = warnings.warnings.filter((w) => codeOf(w) === 'RX_ABORT_CONFIG_CHANGED');
    expect(changed).toHaveLength(1);
    expect(changed[0]?.message).toContain('notify-keyspace-events on 127.0.0.1');
    expect(changed[0]?.message).toContain('from "" to "K$"');
    expect(changed[0]?.message).toMatch(/configureNotifications: false/);
  });

  it('fits its advice to what it found', async () => {
    const redis = await server();
    const admin = redis.client();
    const messages: Record<string, string> = {};
    const failure = async (name: string, backend: RedisBackend) => {
      const error = await backend.ready().catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(NotificationsDisabledError);
      messages[name] = (error as Error).message;
    };
    await failure('configure false', backendOn(redis.client(), { configureNotifications: false }));
    const prefix = 'na-acl:';
    const base = [
      'on',
      '>pw',
      `~${prefix}*`,
      `&__keyspace@0__:${prefix}*`,
      '-@all',
      '+get',
      '+set',
      '+subscribe',
      '+unsubscribe',
      '+info',
    ];
    await admin.call('ACL', 'SETUSER', 'readonly-config', ...base, '+config|get');
    await admin.call('ACL', 'SETUSER', 'no-config', ...base);
    await failure(
      'config set refused',
      backendOn(redis.client({ username: 'readonly-config', password: 'pw' }), { prefix }),
    );
    await failure(
      'probe: no event',
      backendOn(redis.client({ username: 'no-config', password: 'pw' }), { prefix }),
    );
    await admin.call('ACL', 'SETUSER', 'no-config', '-set');
    await failure(
      'probe refused',
      backendOn(redis.client({ username: 'no-config', password: 'pw' }), { prefix }),
    );

    for (const message of Object.values(messages))
      expect(message).not.toMatch(/configureNotifications: true/);
    expect(messages['configure false']).toMatch(/drop configureNotifications: false/);
    expect(messages['config set refused']).toMatch(/CONFIG SET failed.*pass configureNotifications: false/s);
    expect(messages['probe: no event']).toMatch(/may not run CONFIG.*ask the administrator/s);
    expect(messages['probe refused']).toMatch(/NOPERM.*Grant the Redis user \+set and \+subscribe/s);
  });
});
