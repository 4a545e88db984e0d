// RedisBackend.fromUrl owns its client: with Redis down, the client's connection errors reach errors$ and
// ioredis prints nothing ("[ioredis] Unhandled error event" would mean nobody listened); close() ends it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Abortable, RedisBackend } from '../../src/index.js';
import { freePort, startRedisServer } from '../support/redisServer.js';

describe('RedisBackend.fromUrl', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('routes the owned client errors to errors$, not to stderr, while Redis is down', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const port = await freePort(); // nothing listens there
    const backend = RedisBackend.fromUrl(`redis://127.0.0.1:${port}`, {
      redisOptions: { retryStrategy: () => 20 },
    });
    const errors: unknown[] = [];
    backend.errors$.subscribe((error) => errors.push(error));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await backend.close();
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const unhandled = printed.mock.calls.filter((call) => String(call[0]).includes('[ioredis]'));
    expect(unhandled).toEqual([]);
  });

  it('works against a real server and closes its own client', async () => {
    const server = await startRedisServer();
    try {
      const backend = RedisBackend.fromUrl(`${server.url}/0`, { prefix: 'from-url:' });
      const abortable = new Abortable({ backend });
      await abortable.abort('job-1');
      expect(await abortable.aborted('job-1')).toMatchObject({ id: 'job-1', mode: 'abort' });
      await abortable.close();
      await vi.waitFor(async () => {
        const clients = await server.cli('CLIENT', 'LIST');
        expect(clients.split('\n').filter((line) => !line.includes('cmd=client'))).toEqual([]);
      });
    } finally {
      await server.stop();
    }
  });
});
