import type { Cluster } from 'ioredis';
import type { RedisClient } from './types.js';

/** Whether the client is an ioredis `Cluster` rather than a single-node `Redis`. */
export const isCluster = (client: RedisClient | Cluster): client is Cluster =>
  (client as { isCluster?: unknown }).isCluster === true;
