import type { Cluster, RedisOptions } from 'ioredis';
import { ClusterKeyspaceSubscriber } from './ClusterKeyspaceSubscriber.js';
import type { EvictionGuard } from './EvictionGuard.js';
import { isCluster } from './isCluster.js';
import { type ChannelListener, KeyspaceSubscriber, type SubscriberConnection } from './KeyspaceSubscriber.js';
import type { NotificationGuard } from './NotificationGuard.js';
import { nodeProbeTag } from './nodeProbeTag.js';
import type { RedisClient } from './types.js';

/** Options of {@link createSubscriber}. */
export interface CreateSubscriberOptions {
  /** The user's client: a `Redis` is `duplicate()`d once, a `Cluster` gets one connection per master. */
  readonly client: RedisClient | Cluster;
  /** Told about every watched channel. */
  readonly listener: ChannelListener;
  /** Checks (and repairs) keyspace notifications after every (re)connect and every `checkInterval`. */
  readonly notifications: NotificationGuard;
  /** Checks `maxmemory-policy` after every (re)connect. */
  readonly eviction: EvictionGuard;
  /** The channel whose `SUBSCRIBE` proves the ACL grants the watched namespace. */
  readonly permissionChannel: string;
  /** `commandTimeout`: the longest wait between reconnect attempts of a `Redis` subscriber. */
  readonly commandTimeout: number;
  /** `notificationCheckInterval`. */
  readonly checkInterval: number;
  /** `clusterTopologyInterval` (Cluster only). */
  readonly topologyInterval: number;
  /** Non-fatal errors. */
  report(error: unknown): void;
}

/**
 * The subscriber of a {@link RedisBackend}: on a `Redis`, a {@link KeyspaceSubscriber} on a dedicated
 * connection duplicated from the user's client; on a `Cluster`, a {@link ClusterKeyspaceSubscriber} (one
 * connection per master). After every (re)connect each connection checks `maxmemory-policy` and then
 * keyspace notifications before it resubscribes.
 *
 * The duplicated connection reconnects with the user's `retryStrategy` (ioredis's default backoff when there
 * is none), each delay capped at `commandTimeout`, so a refused password or ACL is found within that bound
 * once the server answers again; the user's strategy still decides when to stop (then every watch errors).
 * @returns the subscriber, not connected yet (it connects at its first channel or `online()`).
 */
export function createSubscriber(
  options: CreateSubscriberOptions,
): KeyspaceSubscriber | ClusterKeyspaceSubscriber {
  const { client, listener, notifications, eviction, permissionChannel, checkInterval, report } = options;
  if (isCluster(client)) {
    return new ClusterKeyspaceSubscriber({
      cluster: client,
      listener,
      prepare: async (subscriber, master) => {
        await eviction.check(master);
        return notifications.ensure(subscriber, master, nodeProbeTag(client, master));
      },
      permissionChannel,
      report,
      checkInterval,
      topologyInterval: options.topologyInterval,
    });
  }
  const connection = client.duplicate({
    autoResubscribe: false,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: cappedRetryStrategy(client.options.retryStrategy, options.commandTimeout),
  }) as unknown as SubscriberConnection;
  return new KeyspaceSubscriber({
    connection,
    listener,
    prepare: async (subscriber) => {
      await eviction.check(client);
      return notifications.ensure(subscriber, client, '');
    },
    permissionChannel,
    checkInterval,
    report,
  });
}

/** The user's `retryStrategy` (or ioredis's default backoff), each delay capped at `cap` ms; a non-number passes through (stop). */
function cappedRetryStrategy(
  retryStrategy: RedisOptions['retryStrategy'],
  cap: number,
): NonNullable<RedisOptions['retryStrategy']> {
  return (times: number) => {
    const delay =
      typeof retryStrategy === 'function' ? retryStrategy(times) : Math.min(50 * 2 ** (times - 1), 5000);
    return typeof delay === 'number' ? Math.min(delay, cap) : delay;
  };
}
