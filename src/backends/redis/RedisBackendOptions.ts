import type { Cluster, RedisOptions } from 'ioredis';
import { type OptionKeys, validateMilliseconds, validateOptions } from '../../core/validate.js';
import { DEFAULT_PREFIX } from './keys.js';
import type { RedisClient } from './types.js';

/** Options of {@link RedisBackend}. */
export interface RedisBackendOptions {
  /**
   * An ioredis client for commands: a `Redis` (the backend `duplicate()`s it for its subscriber connection)
   * or a `Cluster` (the backend opens one subscriber connection per master; see {@link RedisBackend}).
   * It stays yours: {@link RedisBackend.close} closes only the connections the backend opened itself, so
   * `quit()` this client after closing the backend (or let {@link RedisBackend.fromUrl} make and close one).
   */
  client: RedisClient | Cluster;
  /**
   * Namespace of the mark keys: the mark of id `x` is the string key `${prefix}x`.
   * @default 'rx-abort:'
   */
  prefix?: string;
  /**
   * Whether the backend may add the flags it needs (`K$`) to `notify-keyspace-events` with `CONFIG SET`,
   * keeping the flags already there. When `false`, or where `CONFIG` is not allowed, it only verifies
   * (with `CONFIG GET`, else with a probe key) and fails with {@link NotificationsDisabledError}.
   * @default true
   */
  configureNotifications?: boolean;
  /**
   * How long a command may take, waiting for a connection included, before it rejects with
   * {@link RedisUnavailableError}: `abort()` and the pre-start check fail within this bound when Redis is down.
   * @default 5000
   */
  commandTimeout?: number;
  /**
   * While at least one id is watched, how often (in milliseconds) to check that keyspace notifications are
   * still on (`CONFIG GET`, or a probe key where `CONFIG` is not allowed). If someone switched them off, the
   * backend turns them back on when allowed, re-reads every watched key and emits a process warning; if
   * it may not, every watch errors with {@link NotificationsDisabledError}. Every interval it also re-reads
   * every watched key (one `GET` per id, in `MULTI`s of 1,000), so an abort issued while notifications were
   * off, however briefly, lands within one interval in every process. `0` checks only on (re)connect and
   * never re-reads periodically. Nothing is sent while nothing is watched.
   * @default 30_000
   */
  notificationCheckInterval?: number;
  /**
   * Redis Cluster only: while something is watched, how often (in milliseconds) to refresh the slot map to
   * find masters added without this process noticing. Failovers are found at once (the subscriber
   * connection to the old master drops). `0` disables the periodic refresh.
   * @default 5000
   */
  clusterTopologyInterval?: number;
  /**
   * Where `CONFIG` is not allowed: how long to wait for the probe key's notification before concluding
   * that notifications are off.
   * @default 1000
   */
  probeTimeout?: number;
  /**
   * Whether a server that may evict keys is an error rather than a warning. Where `CONFIG GET` is allowed,
   * the backend reads `maxmemory-policy` when it connects and reconnects; under any policy but
   * `noeviction` marks can be evicted (an aborted queued task would then run), so it emits one process
   * warning `RX_ABORT_EVICTION_RISK`, or, with `true`, `ready()`, `abort()` and every watch reject with
   * {@link EvictionPolicyError}.
   * @default false
   */
  requireNoEviction?: boolean;
  /**
   * How many replicas must hold a mark before `abort()` resolves: with `n > 0`, every write is followed on
   * the same connection by `WAIT n replicaTimeout` (on Cluster, on each slot group's master), and `abort()`
   * rejects with {@link ReplicationTimeoutError} when fewer confirm in time. Use it with Sentinel or
   * Cluster failover, where replication is asynchronous and a promoted replica can lack an acknowledged
   * write. `0`: resolve once the master has it.
   * @default 0
   */
  replicas?: number;
  /**
   * With `replicas > 0`: how long (in milliseconds) `WAIT` may wait for the replicas.
   * @default 1000
   */
  replicaTimeout?: number;
}

/** Options of {@link RedisBackend.fromUrl}. */
export interface RedisBackendUrlOptions extends Omit<RedisBackendOptions, 'client'> {
  /** ioredis options (TLS, password, retry strategy, ...) passed through untouched. @default {} */
  redisOptions?: RedisOptions;
}

/** {@link RedisBackendOptions} validated, with every default filled in. */
export interface ResolvedRedisBackendOptions {
  readonly client: RedisClient | Cluster;
  readonly prefix: string;
  readonly configureNotifications: boolean;
  readonly commandTimeout: number;
  readonly notificationCheckInterval: number;
  readonly clusterTopologyInterval: number;
  readonly probeTimeout: number;
  readonly requireNoEviction: boolean;
  readonly replicas: number;
  readonly replicaTimeout: number;
}

const MAX_TIMER = 2 ** 31 - 1;

const milliseconds = (value: number | undefined, name: string, fallback: number, min: number): number =>
  value === undefined ? fallback : validateMilliseconds(value, `options.${name}`, min, MAX_TIMER);

/** The option keys {@link RedisBackend} and {@link RedisBackend.fromUrl} share. */
export const BACKEND_OPTION_KEYS: OptionKeys<Omit<RedisBackendOptions, 'client'>> = {
  prefix: true,
  configureNotifications: true,
  commandTimeout: true,
  notificationCheckInterval: true,
  clusterTopologyInterval: true,
  probeTimeout: true,
  requireNoEviction: true,
  replicas: true,
  replicaTimeout: true,
};

/**
 * Validates the options of {@link RedisBackend} and fills in the defaults.
 * @throws TypeError / RangeError naming the offending option.
 */
export function resolveRedisBackendOptions(options: RedisBackendOptions): ResolvedRedisBackendOptions {
  const checked = validateOptions<RedisBackendOptions>(options, { client: true, ...BACKEND_OPTION_KEYS });
  const client = checked.client;
  if (client === null || typeof client !== 'object' || typeof client.duplicate !== 'function') {
    throw new TypeError('options.client must be an ioredis client (new Redis(...))');
  }
  return { client, ...resolveBackendSettings(checked) };
}

/**
 * Validates every option of {@link RedisBackend} but `client` (already checked for unknown keys) and fills
 * in the defaults: {@link RedisBackend.fromUrl} runs it before it makes a client, so an invalid value
 * throws with no connection left behind.
 * @throws TypeError / RangeError naming the offending option.
 */
export function resolveBackendSettings(
  checked: Partial<Omit<RedisBackendOptions, 'client'>>,
): Omit<ResolvedRedisBackendOptions, 'client'> {
  const prefix = checked.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || /[\n\r\0*?[\]]/.test(prefix)) {
    throw new TypeError('options.prefix must be a string without newlines, NUL or glob characters (* ? [ ])');
  }
  const configureNotifications = checked.configureNotifications ?? true;
  if (typeof configureNotifications !== 'boolean')
    throw new TypeError('options.configureNotifications must be a boolean');
  const requireNoEviction = checked.requireNoEviction ?? false;
  if (typeof requireNoEviction !== 'boolean')
    throw new TypeError('options.requireNoEviction must be a boolean');
  const replicas = checked.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > 100) {
    throw new RangeError('options.replicas must be an integer from 0 to 100');
  }
  return {
    prefix,
    configureNotifications,
    requireNoEviction,
    replicas,
    replicaTimeout: milliseconds(checked.replicaTimeout, 'replicaTimeout', 1000, 1),
    commandTimeout: milliseconds(checked.commandTimeout, 'commandTimeout', 5000, 1),
    probeTimeout: milliseconds(checked.probeTimeout, 'probeTimeout', 1000, 1),
    notificationCheckInterval: milliseconds(
      checked.notificationCheckInterval,
      'notificationCheckInterval',
      30_000,
      0,
    ),
    clusterTopologyInterval: milliseconds(
      checked.clusterTopologyInterval,
      'clusterTopologyInterval',
      5000,
      0,
    ),
  };
}
