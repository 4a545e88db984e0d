import type { Redis } from 'ioredis';

/**
 * The commands {@link RedisBackend} sends on the client it is given: a narrow slice of ioredis's `Redis`,
 * so any compatible client (or a wrapper) fits. It also `duplicate()`s it for the subscriber connection.
 */
export type RedisClient = Pick<
  Redis,
  | 'get'
  | 'pttl'
  | 'mget'
  | 'set'
  | 'multi'
  | 'pipeline'
  | 'config'
  | 'duplicate'
  | 'status'
  | 'options'
  | 'on'
  | 'once'
  | 'off'
  | 'quit'
>;
