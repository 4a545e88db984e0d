// Item 5 follow-up: `replicaTimeout` is the time WAIT may block after the write was answered, so it adds to
// `commandTimeout` instead of being cut short by it. With no replica, `replicas: 1, replicaTimeout: 3000,
// commandTimeout: 1000` must end in ReplicationTimeoutError after about 3 s, not RedisUnavailableError at 1 s.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend, ReplicationTimeoutError } from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

describe('replicaTimeout longer than commandTimeout', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server?.stop());

  it('waits replicaTimeout for WAIT and rejects with ReplicationTimeoutError (a single mark and a batch)', async () => {
    const backend = new RedisBackend({
      client: server.client(),
      prefix: `rt:${randomUUID().slice(0, 8)}:`,
      replicas: 1,
      replicaTimeout: 3000,
      commandTimeout: 1000,
    });
    const abortable = new Abortable({ backend });
    try {
      for (const ids of ['single', ['b1', 'b2']]) {
        const started = Date.now();
        const error = await abortable.abort(ids).catch((e: unknown) => e);
        const elapsed = Date.now() - started;
        expect(error).toBeInstanceOf(ReplicationTimeoutError);
        expect(error).toMatchObject({ replicas: 1, acknowledged: 0 });
        // WAIT itself blocks for replicaTimeout: not earlier (a lower bound from the server's own timer).
        expect(elapsed).toBeGreaterThanOrEqual(2900);
      }
      // Written on the master all the same ("not confirmed", not "not written").
      expect(await server.client().exists(`${backend.prefix}single`, `${backend.prefix}b1`)).toBe(2);
    } finally {
      await abortable.close();
    }
  }, 20_000);
});
