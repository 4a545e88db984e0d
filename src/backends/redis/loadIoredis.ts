import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

let ioredis: typeof Redis | undefined;

/**
 * The ioredis `Redis` class, loaded on first use so that ioredis stays an optional peer dependency.
 * @throws TypeError when ioredis is not installed.
 */
export function loadIoredis(): typeof Redis {
  if (ioredis === undefined) {
    try {
      const module = createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis };
      ioredis = module.Redis;
    } catch (error) {
      throw new TypeError('RedisBackend.fromUrl needs the ioredis package: npm install ioredis', {
        cause: error,
      });
    }
  }
  return ioredis;
}
