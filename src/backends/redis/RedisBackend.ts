import type { Cluster } from 'ioredis';
import { type Observable, Subject, type Unsubscribable } from 'rxjs';
import type { AbortEvent } from '../../core/AbortEvent.js';
import type { AbortOutcome } from '../../core/AbortOutcome.js';
import { BackendClosedError } from '../../core/errors/BackendClosedError.js';
import { validateId, validateOptions } from '../../core/validate.js';
import { type DirectWatchBackend, type WatchSink, watchInto } from '../../core/watchSink.js';
import type { EventBackend } from '../EventBackend.js';
import type { ClusterKeyspaceSubscriber } from './ClusterKeyspaceSubscriber.js';
import { CommandRunner } from './CommandRunner.js';
import { createSubscriber } from './createSubscriber.js';
import { EvictionGuard } from './EvictionGuard.js';
import { fanOut } from './fanOut.js';
import { isCluster } from './isCluster.js';
import { KeyReader } from './KeyReader.js';
import type { ChannelListener, KeyspaceSubscriber } from './KeyspaceSubscriber.js';
import { keyspaceChannel, markKey, outcomeKey, probeKey } from './keys.js';
import { loadIoredis } from './loadIoredis.js';
import { MarkWriter } from './MarkWriter.js';
import { decodeMark, decodePublishedMark, markWithoutDetails } from './markValue.js';
import { NotificationGuard } from './NotificationGuard.js';
import { decodeOutcome, encodeOutcome } from './outcomeValue.js';
import { PeriodicReread } from './PeriodicReread.js';
import {
  BACKEND_OPTION_KEYS,
  type RedisBackendOptions,
  type RedisBackendUrlOptions,
  type ResolvedRedisBackendOptions,
  resolveBackendSettings,
  resolveRedisBackendOptions,
} from './RedisBackendOptions.js';
import { isWrongTypeError } from './replyErrors.js';
import type { RedisClient } from './types.js';
import { WatchTable } from './WatchTable.js';

export type { RedisBackendOptions, RedisBackendUrlOptions } from './RedisBackendOptions.js';

import { validateRedisUrl } from './validateRedisUrl.js';

/**
 * An {@link EventBackend} on Redis: marks are string keys written with `SET key value PX abortTtl`, and
 * watches are pushed by keyspace notifications on one dedicated subscriber connection, with one exact
 * `SUBSCRIBE __keyspace@<db>__:<key>` per watched id shared by all its watchers and released with the last.
 *
 * One hop: a mark's `SET` goes with a `PUBLISH` of its value on the same channel, in one `MULTI` (see
 * `MarkWriter`), so a watcher takes the mark from the message right behind its `set` event instead of
 * reading it; a mark written by anything else is read with `GET` after its event. Without `+publish` in
 * the user's ACL the backend notices once and writes marks alone (two hops).
 *
 * Nothing is lost: a watch reads the key once its subscription is confirmed, and again after every
 * reconnect, so an abort written before, during or after the watch lands. Aborts are pushed, never
 * polled: a backend with nothing watched sends Redis nothing, and one that watches sends only the cheap
 * notification check and a batched re-read of its watched keys (the safety net for notifications switched
 * off and on again) every `notificationCheckInterval` (30 s). At the first watch (or
 * {@link RedisBackend.ready}) it makes sure keyspace notifications are on, and checks again after every
 * reconnect.
 *
 * Abort outcomes (confirmed aborts) are string keys too, `<prefix>\noutcome:<id>` (the newline keeps them
 * apart from every mark), written by the worker with one `SET ... PX ttl` and watched on the same
 * subscriber connection and channel multiplexer as marks, with the same guarantees (read once the
 * subscription is confirmed and after every reconnect, expiring after their `ttl`).
 *
 * Redis Cluster: pass an ioredis `Cluster` as `client`. Keyspace events are published only by the master
 * owning the key, so every watched channel is subscribed on every master, each through a dedicated
 * connection (cost: one subscription per master per watched id; only the owner publishes, so no event is
 * duplicated). Slots may move between masters without a watch missing its event; after a failover or when
 * a master is added, the new master is subscribed and every watch re-reads its key. Multi-id aborts are
 * grouped by slot (one `MULTI` per slot), so they never fail with CROSSSLOT.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Abortable, RedisBackend } from 'rx-abort';
 * const client = new Redis('redis://127.0.0.1:6379');
 * const abortable = new Abortable({ backend: new RedisBackend({ client, prefix: 'myapp:aborts:' }) });
 * abortable.abort$('job-1').subscribe(() => console.log('job-1 aborted'));
 * ```
 */
export class RedisBackend implements EventBackend, DirectWatchBackend {
  /** The key namespace. */
  readonly prefix: string;
  readonly #options: ResolvedRedisBackendOptions;
  readonly #client: RedisClient | Cluster;
  readonly #cluster: Cluster | undefined;
  readonly #ownsClient: boolean;
  readonly #db: number;
  readonly #keyPrefix: string;
  readonly #commands: CommandRunner;
  readonly #guard: NotificationGuard;
  readonly #eviction: EvictionGuard;
  readonly #writer: MarkWriter;
  readonly #watches: WatchTable<AbortEvent>;
  readonly #outcomes: WatchTable<AbortOutcome>;
  /** The subscriber's listener: both tables. */
  readonly #listener: ChannelListener;
  readonly #reread: PeriodicReread;
  readonly #errors = new Subject<unknown>();
  #subscriber: KeyspaceSubscriber | ClusterKeyspaceSubscriber | undefined;
  #closed = false;

  /**
   * Non-fatal errors, for logging: a lost or refused connection (of the subscriber connections, and of the
   * client when {@link RedisBackend.fromUrl} made it), a failed read that is retried, a failed notification
   * check. Commands that fail also reject on their own; this stream never errors, and completes on `close()`.
   */
  readonly errors$: Observable<unknown> = this.#errors.asObservable();

  /**
   * @param options - see {@link RedisBackendOptions}.
   * @throws TypeError / RangeError for a missing client or invalid options.
   */
  constructor(options: RedisBackendOptions) {
    const resolved = resolveRedisBackendOptions(options);
    const client = resolved.client;
    this.#options = resolved;
    this.prefix = resolved.prefix;
    this.#client = client;
    this.#ownsClient = (options as { [OWNS_CLIENT]?: boolean })[OWNS_CLIENT] === true;
    if (isCluster(client)) {
      this.#cluster = client;
      this.#db = 0;
      this.#keyPrefix = client.options.keyPrefix ?? client.options.redisOptions?.keyPrefix ?? '';
    } else {
      this.#db = client.options.db ?? 0;
      this.#keyPrefix = client.options.keyPrefix ?? '';
    }
    this.#commands = new CommandRunner(client, resolved.commandTimeout);
    this.#guard = new NotificationGuard({
      commands: this.#commands,
      configure: resolved.configureNotifications,
      probeTimeout: resolved.probeTimeout,
      prefix: this.prefix,
      db: this.#db,
      keyPrefix: this.#keyPrefix,
    });
    this.#eviction = new EvictionGuard({
      commands: this.#commands,
      requireNoEviction: resolved.requireNoEviction,
      client,
      report: (error) => this.#errors.next(error),
    });
    // Every channel of ours starts with this; the id follows (one string per watched id, no key stored).
    const channelBase = keyspaceChannel(this.#db, this.#keyPrefix + this.#key(''));
    const channelOf = (id: string): string => channelBase + id;
    this.#writer = new MarkWriter({
      client,
      cluster: this.#cluster !== undefined,
      commands: this.#commands,
      keyOf: (id) => this.#key(id),
      serverKeyOf: (id) => this.#keyPrefix + this.#key(id),
      channelOf,
      replicas: resolved.replicas,
      replicaTimeout: resolved.replicaTimeout,
    });
    // Marks and outcomes: two tables of watched keys on one subscriber (its listener is both), both
    // re-read periodically. Outcomes are never published with their write: they are read after their event.
    const outcomeBase = keyspaceChannel(this.#db, this.#keyPrefix + outcomeKey(this.prefix, ''));
    const table = {
      client,
      cluster: this.#cluster !== undefined,
      commands: this.#commands,
      // One reader for both tables: once the server refused MGET or EXISTS, neither table sends them again.
      reader: new KeyReader(client as RedisClient),
      subscriber: () => {
        this.#reread.start();
        return this.#subscriberFor();
      },
      report: (error: unknown) => this.#errors.next(error),
    };
    this.#watches = new WatchTable<AbortEvent>({
      ...table,
      keyOf: (id) => this.#key(id),
      channelOf,
      idOf: (channel) => channel.slice(channelBase.length),
      decode: decodeMark,
      decodePublished: decodePublishedMark,
      wrongType: (id) => markWithoutDetails(id),
    });
    this.#outcomes = new WatchTable<AbortOutcome>({
      ...table,
      keyOf: (id) => outcomeKey(this.prefix, id),
      channelOf: (id) => outcomeBase + id,
      idOf: (channel) => channel.slice(outcomeBase.length),
      decode: decodeOutcome,
      decodePublished: () => undefined,
      wrongType: () => null,
    });
    this.#listener = fanOut(this.#watches, this.#outcomes);
    this.#reread = new PeriodicReread({
      interval: resolved.notificationCheckInterval,
      watched: () => this.#watches.size + this.#outcomes.size,
      reread: () => {
        this.#watches.rereadAll();
        this.#outcomes.rereadAll();
      },
    });
  }

  /**
   * A backend with its own ioredis client for `url`, closed by {@link RedisBackend.close}.
   *
   * @example
   * ```ts
   * import { Abortable, RedisBackend } from 'rx-abort';
   * const backend = RedisBackend.fromUrl('redis://127.0.0.1:6379/0', { prefix: 'myapp:aborts:' });
   * const abortable = new Abortable({ backend });
   * await abortable.close();
   * ```
   * @param url - a `redis://` or `rediss://` URL, or an absolute unix socket path (`/run/redis.sock?db=0`).
   * @param options - see {@link RedisBackendUrlOptions}.
   * @throws TypeError when `url` is not a string, has another scheme (`http://`), or ioredis is not installed;
   *   for unknown option keys or an invalid option value. RangeError when the URL's database is not a number,
   *   or an option is out of range. Every throw comes before the client is made: nothing is left open.
   */
  static fromUrl(url: string, options: RedisBackendUrlOptions = {}): RedisBackend {
    validateRedisUrl(url);
    const { redisOptions, ...rest } = validateOptions<RedisBackendUrlOptions>(options, {
      redisOptions: true,
      ...BACKEND_OPTION_KEYS,
    });
    if (redisOptions !== undefined && (redisOptions === null || typeof redisOptions !== 'object')) {
      throw new TypeError('options.redisOptions must be an object of ioredis options');
    }
    // Every option is checked before the client exists: a client made and abandoned would keep its socket.
    resolveBackendSettings(rest);
    const client = new (loadIoredis())(url, { maxRetriesPerRequest: 2, ...redisOptions });
    let backend: RedisBackend;
    try {
      backend = new RedisBackend({ ...rest, client, [OWNS_CLIENT]: true } as RedisBackendOptions);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    // The client is the backend's: its connection errors go to errors$ (not ioredis's "Unhandled error event").
    client.on('error', (error: unknown) => backend.#errors.next(error));
    return backend;
  }

  /**
   * Watches held right now, one per watched id for its marks and one per id whose outcome is watched
   * (each is one subscribed channel); `0` once every watcher has left.
   */
  get watchedIds(): number {
    return this.#watches.size + this.#outcomes.size;
  }

  /**
   * Connects the subscriber and makes sure keyspace notifications are on. Watching does this by itself;
   * call it at start-up to fail fast.
   * @throws NotificationsDisabledError (as a rejection) when notifications are off and cannot be turned on.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#subscriberFor().online();
  }

  mark(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    if (events.length === 0) return Promise.resolve();
    return this.#eviction.guardWrite((timeout) => this.#writer.write(events, abortTtl, timeout));
  }

  read(id: string): Promise<AbortEvent | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#commands
      .run('GET', () => this.#client.get(this.#key(id)))
      .then(
        (value) => decodeMark(id, value),
        (error: unknown) => {
          // A key of another type under the prefix counts as an abort with no details (fail closed).
          if (isWrongTypeError(error)) return markWithoutDetails(id);
          throw error;
        },
      );
  }

  /**
   * The milliseconds left in the window of `id`'s mark (`PTTL` of its key), `null` when it has no live
   * mark, or `Infinity` for a key without expiry (written by something else under the prefix). Not part of {@link EventBackend}: `rx-abort status` shows it. Needs `+pttl` under a restricted ACL.
   *
   * @example
   * ```ts
   * import { Abortable, RedisBackend } from 'rx-abort';
   * const backend = RedisBackend.fromUrl('redis://127.0.0.1:6379');
   * await new Abortable({ backend }).abort('job-1', { abortTtl: 60_000 });
   * console.log(await backend.timeLeft('job-1')); // about 60000
   * await backend.close();
   * ```
   * @param id - the task id.
   * @throws TypeError / RangeError synchronously for an invalid id.
   */
  timeLeft(id: string): Promise<number | null> {
    validateId(id);
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#commands
      .run('PTTL', () => this.#client.pttl(this.#key(id)))
      .then((left) => (left >= 0 ? left : left === -1 ? Number.POSITIVE_INFINITY : null));
  }

  watch(id: string): Observable<AbortEvent> {
    return this.#watches.watch(id);
  }

  /**
   * The watch of `abort$` and the cut operators, without an intermediate Observable.
   * @internal
   */
  [watchInto](id: string, sink: WatchSink): Unsubscribable | undefined {
    return this.#watches.attach(id, sink);
  }

  /**
   * Stores an abort outcome with `SET <prefix>\noutcome:<id> <json> PX ttl`: one write, with the commands
   * of the minimal ACL (the key and its keyspace channel are under the prefix).
   */
  reportOutcome(outcome: AbortOutcome, ttl: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#commands
      .run('SET', () =>
        this.#client.set(outcomeKey(this.prefix, outcome.id), encodeOutcome(outcome), 'PX', ttl),
      )
      .then(() => undefined);
  }

  /** Reads the outcome of `id` (a malformed or wrong-type value is reported on `errors$` and reads as `null`). */
  readOutcome(id: string): Promise<AbortOutcome | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#commands
      .run('GET', () => this.#client.get(outcomeKey(this.prefix, id)))
      .then(
        (value) => {
          try {
            return decodeOutcome(id, value);
          } catch (error) {
            this.#errors.next(error);
            return null;
          }
        },
        (error: unknown) => {
          // A key of another type where an outcome belongs tells nothing: report it, read no outcome.
          if (!isWrongTypeError(error)) throw error;
          this.#errors.next(error);
          return null;
        },
      );
  }

  /**
   * Observes the outcomes of `id`: like {@link RedisBackend.watch}, on the same subscriber connection. A
   * key of another type where the outcome belongs (`WRONGTYPE`) reads as no outcome: the watch goes on,
   * and the error is reported on {@link RedisBackend.errors$} once per watch, not at every periodic re-read.
   */
  watchOutcome(id: string): Observable<AbortOutcome> {
    return this.#outcomes.watch(id);
  }

  /**
   * Ends every watch with a `BackendClosedError`, closes the subscriber connection(s) the backend opened,
   * and quits the client when {@link RedisBackend.fromUrl} made it. A client you passed in stays open.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#reread.close();
    this.#eviction.close();
    this.#subscriber?.close();
    this.#watches.close(new BackendClosedError('redis'));
    this.#outcomes.close(new BackendClosedError('redis'));
    this.#errors.complete();
    return this.#ownsClient
      ? this.#client.quit().then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
  }

  #key(id: string): string {
    return markKey(this.prefix, id);
  }

  /** A channel under the watched namespace that no mark uses: the subscriber's permission check. */
  #permissionChannel(): string {
    return keyspaceChannel(this.#db, this.#keyPrefix + probeKey(this.prefix, 'permission'));
  }

  #subscriberFor(): KeyspaceSubscriber | ClusterKeyspaceSubscriber {
    this.#subscriber ??= createSubscriber({
      client: this.#client,
      listener: this.#listener,
      notifications: this.#guard,
      eviction: this.#eviction,
      permissionChannel: this.#permissionChannel(),
      commandTimeout: this.#options.commandTimeout,
      checkInterval: this.#options.notificationCheckInterval,
      topologyInterval: this.#options.clusterTopologyInterval,
      report: (error) => this.#errors.next(error),
    });
    return this.#subscriber;
  }
}

const OWNS_CLIENT = Symbol('ownsClient');
