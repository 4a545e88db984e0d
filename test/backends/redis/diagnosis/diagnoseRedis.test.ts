import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnoseRedis } from '../../../../src/index.js';

describe('diagnoseRedis arguments', () => {
  const client = new Redis({ lazyConnect: true, port: 1 });
  afterAll(() => client.disconnect());

  it('throws synchronously, naming the argument, before sending anything', () => {
    expect(() => diagnoseRedis({} as never)).toThrow(
      new TypeError('client must be an ioredis Redis or Cluster'),
    );
    expect(() => diagnoseRedis(client, { burst: 0 })).toThrow(RangeError);
    expect(() => diagnoseRedis(client, { burst: 1.5 })).toThrow(/options\.burst/);
    expect(() => diagnoseRedis(client, { idLength: -1 })).toThrow(/options\.idLength/);
    expect(() => diagnoseRedis(client, { timeout: 0 })).toThrow(/options\.timeout/);
    expect(() => diagnoseRedis(client, { prefix: 5 as never })).toThrow(
      new TypeError('options.prefix must be a string'),
    );
    expect(() => diagnoseRedis(client, { fix: 'yes' as never })).toThrow(
      new TypeError('options.fix must be a boolean'),
    );
    expect(client.status).toBe('wait');
  });
});
