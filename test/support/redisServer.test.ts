import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from './redisServer.js';

describe('startRedisServer', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer({ persistence: true });
  });
  afterAll(() => server.stop());

  it('runs on its own port and survives a kill and restart with persistence', async () => {
    expect(server.port).not.toBe(6379);
    const client = server.client({ maxRetriesPerRequest: null });
    await client.set('k', 'v');
    await server.kill();
    expect(server.running).toBe(false);
    await server.restart();
    expect(await client.get('k')).toBe('v');
    expect(await server.cli('PING')).toBe('PONG');
  });
});
