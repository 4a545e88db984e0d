// RedisBackend.fromUrl with an invalid option value must throw before it makes a client: a client made and
// then abandoned keeps a socket open (the process never exits) and, once its server is gone, prints
// "[ioredis] Unhandled error event" on every reconnect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend, type RedisBackendUrlOptions } from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';
import { sleep } from './support.js';

/** Sockets of this process right now (a connecting or connected ioredis client holds one). */
const sockets = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource.startsWith('TCP')).length;

describe('fromUrl with an invalid option', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server?.stop());

  const invalid: Array<[string, unknown, RegExp]> = [
    ['prefix', { prefix: 5 }, /options\.prefix/],
    ['prefix with a glob', { prefix: 'a*' }, /options\.prefix/],
    ['commandTimeout', { commandTimeout: -1 }, /options\.commandTimeout/],
    ['replicas', { replicas: 'one' }, /options\.replicas/],
    ['requireNoEviction', { requireNoEviction: 'yes' }, /options\.requireNoEviction/],
    ['redisOptions', { redisOptions: 5 }, /options\.redisOptions/],
  ];

  it.each(invalid)(
    'throws synchronously for %s and leaves no client or socket behind',
    async (_, options, message) => {
      await sleep(50);
      const before = sockets();
      let thrown: unknown;
      try {
        RedisBackend.fromUrl(server.url, options as RedisBackendUrlOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toMatch(message);
      // Give a client, had one been made, the time to connect.
      await sleep(200);
      expect(sockets(), 'sockets after the throw').toBe(before);
      expect(
        Number(/connected_clients:(\d+)/.exec(await server.cli('INFO', 'clients'))?.[1]),
        'clients on the server',
      ).toBe(1);
    },
  );
});
