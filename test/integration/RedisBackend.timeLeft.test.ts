// RedisBackend.timeLeft: the PTTL of a mark, for `rx-abort status`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend } from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';

describe('RedisBackend.timeLeft', () => {
  let server: RedisServerHandle;
  let backend: RedisBackend;
  beforeAll(async () => {
    server = await startRedisServer();
    backend = new RedisBackend({ client: server.client(), prefix: 'tl:' });
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
  });

  it('is the time left in the window, null without a mark, Infinity for a key without expiry', async () => {
    await new Abortable({ backend }).abort('a', { abortTtl: 60_000 });
    const left = await backend.timeLeft('a');
    expect(left).toBeGreaterThan(50_000);
    expect(left).toBeLessThanOrEqual(60_000);
    expect(await backend.timeLeft('none')).toBeNull();
    await server.client().set('tl:forever', 'x');
    expect(await backend.timeLeft('forever')).toBe(Number.POSITIVE_INFINITY);
  });

  it('validates the id synchronously', () => {
    expect(() => backend.timeLeft('')).toThrow(RangeError);
    expect(() => backend.timeLeft(5 as never)).toThrow(TypeError);
  });
});
