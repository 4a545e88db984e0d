import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { Observable, Subject, type Subscriber } from 'rxjs';
import type { AbortEvent } from '../../core/AbortEvent.js';
import { BackendClosedError } from '../../core/errors/BackendClosedError.js';
import { validateMilliseconds, validateOptions } from '../../core/validate.js';
import type { EventBackend } from '../EventBackend.js';
import { ClusterKeyspaceSubscriber } from './ClusterKeyspaceSubscriber.js';
import { NotificationsDisabledError } from './errors/NotificationsDisabledError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { KeyspaceSubscriber, type SubscriberConnection } from './KeyspaceSubscriber.js';
import { DEFAULT_PREFIX, keyspaceChannel, markKey, probeKey } from './keys.js';
import { decodeMark, encodeMark } from './markValue.js';
import { mergeNotifyFlags, missingNotifyFlags } from './notifyFlags.js';
import type { RedisClient } from './types.js';
import { validateRedisUrl } from './validateRedisUrl.js';

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
   * it may not, every watch errors with {@link NotificationsDisabledError}. `0` checks only on (re)connect.
   * Nothing is sent while nothing is watched.
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
}

/** Options of {@link RedisBackend.fromUrl}. */
export interface RedisBackendUrlOptions extends Omit<RedisBackendOptions, 'client'> {
  /** ioredis options (TLS, password, retry strategy, ...) passed through untouched. @default {} */
  redisOptions?: RedisOptions;
}

interface WatchEntry {
  readonly id: string;
  readonly key: string;
  readonly channel: string;
  readonly subject: Subject<AbortEvent>;
  confirmed: boolean;
}

/**
 * An {@link EventBackend} on Redis: marks are string keys written with `SET key value PX abortTtl`, and
 * watches are pushed by keyspace notifications on one dedicated subscriber connection, with one exact
 * `SUBSCRIBE __keyspace@<db>__:<key>` per watched id shared by all its watchers and released with the last.
 *
 * Nothing is lost: a watch reads the key once its subscription is confirmed, and again after every
 * reconnect, so an abort written before, during or after the watch lands. Aborts are pushed, never
 * polled: a backend with nothing watched sends Redis nothing, and one that watches sends only the cheap
 * notification check every `notificationCheckInterval` (30 s). At the first watch (or
 * {@link RedisBackend.ready}) it makes sure keyspace notifications are on, and checks again after every
 * reconnect.
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
export class RedisBackend implements EventBackend {
  /** The key namespace. */
  readonly prefix: string;
  readonly #client: RedisClient | Cluster;
  readonly #cluster: Cluster | undefined;
  readonly #topologyInterval: number;
  readonly #ownsClient: boolean;
  readonly #configure: boolean;
  readonly #commandTimeout: number;
  readonly #probeTimeout: number;
  readonly #checkInterval: number;
  readonly #db: number;
  readonly #keyPrefix: string;
  readonly #entries = new Map<string, WatchEntry>();
  /** Reads requested in this tick, sent together by {@link RedisBackend.#refresh}. */
  #reads: PendingRead[] = [];
  readonly #errors = new Subject<unknown>();
  #subscriber: KeyspaceSubscriber | ClusterKeyspaceSubscriber | undefined;
  #notificationsChecked = false;
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
    const checked = validateOptions<RedisBackendOptions>(options, {
      client: true,
      prefix: true,
      configureNotifications: true,
      commandTimeout: true,
      notificationCheckInterval: true,
      clusterTopologyInterval: true,
      probeTimeout: true,
    });
    const client = checked.client;
    if (client === null || typeof client !== 'object' || typeof client.duplicate !== 'function') {
      throw new TypeError('options.client must be an ioredis client (new Redis(...))');
    }
    const prefix = checked.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || /[\n\r\0*?[\]]/.test(prefix)) {
      throw new TypeError(
        'options.prefix must be a string without newlines, NUL or glob characters (* ? [ ])',
      );
    }
    this.prefix = prefix;
    this.#client = client;
    this.#ownsClient = (checked as { [OWNS_CLIENT]?: boolean })[OWNS_CLIENT] === true;
    this.#configure = checked.configureNotifications ?? true;
    if (typeof this.#configure !== 'boolean')
      throw new TypeError('options.configureNotifications must be a boolean');
    this.#commandTimeout =
      checked.commandTimeout === undefined
        ? 5000
        : validateMilliseconds(checked.commandTimeout, 'options.commandTimeout', 1, 2 ** 31 - 1);
    this.#probeTimeout =
      checked.probeTimeout === undefined
        ? 1000
        : validateMilliseconds(checked.probeTimeout, 'options.probeTimeout', 1, 2 ** 31 - 1);
    this.#checkInterval =
      checked.notificationCheckInterval === undefined
        ? 30_000
        : validateMilliseconds(
            checked.notificationCheckInterval,
            'options.notificationCheckInterval',
            0,
            2 ** 31 - 1,
          );
    this.#topologyInterval =
      checked.clusterTopologyInterval === undefined
        ? 5000
        : validateMilliseconds(
            checked.clusterTopologyInterval,
            'options.clusterTopologyInterval',
            0,
            2 ** 31 - 1,
          );
    if (isCluster(client)) {
      this.#cluster = client;
      this.#db = 0;
      this.#keyPrefix = client.options.keyPrefix ?? client.options.redisOptions?.keyPrefix ?? '';
    } else {
      this.#db = client.options.db ?? 0;
      this.#keyPrefix = client.options.keyPrefix ?? '';
    }
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
   *   for unknown option keys. RangeError when the URL's database is not a number.
   */
  static fromUrl(url: string, options: RedisBackendUrlOptions = {}): RedisBackend {
    validateRedisUrl(url);
    const { redisOptions, ...rest } = validateOptions<RedisBackendUrlOptions>(options, {
      redisOptions: true,
      prefix: true,
      configureNotifications: true,
      commandTimeout: true,
      notificationCheckInterval: true,
      clusterTopologyInterval: true,
      probeTimeout: true,
    });
    const client = new (loadIoredis())(url, { maxRetriesPerRequest: 2, ...redisOptions });
    const backend = new RedisBackend({ ...rest, client, [OWNS_CLIENT]: true } as RedisBackendOptions);
    // The client is the backend's: its connection errors go to errors$ (not ioredis's "Unhandled error event").
    client.on('error', (error: unknown) => backend.#errors.next(error));
    return backend;
  }

  /** Ids watched right now; `0` once every watcher has left. */
  get watchedIds(): number {
    return this.#entries.size;
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
    const [first] = events;
    if (first === undefined) return Promise.resolve();
    if (events.length === 1) {
      return this.#command('SET', () =>
        this.#client.set(this.#key(first.id), encodeMark(first), 'PX', abortTtl),
      ).then(() => undefined);
    }
    const groups =
      this.#cluster === undefined ? [events] : groupBySlot(events, (id) => this.#keyPrefix + this.#key(id));
    return this.#command('MULTI/SET', async () => {
      await Promise.all(
        groups.map(async (group) => {
          const multi = this.#client.multi();
          for (const event of group) multi.set(this.#key(event.id), encodeMark(event), 'PX', abortTtl);
          const results = await multi.exec();
          if (results === null) throw new Error('The MULTI transaction was discarded');
          const failed = results.find(([error]) => error !== null);
          if (failed !== undefined) throw failed[0];
        }),
      );
    });
  }

  read(id: string): Promise<AbortEvent | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('redis'));
    return this.#command('GET', () => this.#client.get(this.#key(id))).then((value) => decodeMark(id, value));
  }

  watch(id: string): Observable<AbortEvent> {
    return new Observable<AbortEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new BackendClosedError('redis'));
        return;
      }
      let entry = this.#entries.get(id);
      const joined = entry !== undefined;
      if (entry === undefined) {
        const key = this.#key(id);
        entry = {
          id,
          key,
          channel: keyspaceChannel(this.#db, this.#keyPrefix + key),
          subject: new Subject(),
          confirmed: false,
        };
        this.#entries.set(id, entry);
      }
      const watched = entry;
      const inner = watched.subject.subscribe(subscriber);
      if (!joined) this.#subscriberFor().add(watched.channel, this.#handlerFor(watched));
      else if (watched.confirmed) this.#refresh(watched, subscriber);
      return () => {
        inner.unsubscribe();
        if (!watched.subject.observed && this.#entries.get(id) === watched) {
          this.#entries.delete(id);
          this.#subscriber?.remove(watched.channel);
        }
      };
    });
  }

  /**
   * Ends every watch with a `BackendClosedError`, closes the subscriber connection(s) the backend opened,
   * and quits the client when {@link RedisBackend.fromUrl} made it. A client you passed in stays open.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#subscriber?.close();
    for (const entry of entries) entry.subject.error(new BackendClosedError('redis'));
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

  #handlerFor(entry: WatchEntry) {
    return {
      event: (name: string) => {
        if (name === 'set') this.#refresh(entry, entry.subject);
      },
      subscribed: () => {
        entry.confirmed = true;
        this.#refresh(entry, entry.subject);
      },
      error: (error: unknown) => {
        if (this.#entries.get(entry.id) === entry) {
          this.#entries.delete(entry.id);
          this.#subscriber?.remove(entry.channel);
        }
        entry.subject.error(error);
      },
    };
  }

  /**
   * Reads the mark of a watched id and hands a live one to `target`; retries a failed read while watched.
   * Reads requested in the same tick are sent together (one MULTI of GETs per {@link MAX_READ_BATCH} keys;
   * one GET per key on a cluster, whose keys rarely share a slot), so a burst of keyspace events or of
   * confirmed subscriptions costs one socket write instead of one per id (bench/README.md, throughput).
   */
  #refresh(entry: WatchEntry, target: Subject<AbortEvent> | Subscriber<AbortEvent>, attempt = 0): void {
    this.#reads.push({ entry, target, attempt });
    if (this.#reads.length > 1) return;
    queueMicrotask(() => {
      const reads = this.#reads;
      this.#reads = [];
      if (this.#closed) return;
      for (let start = 0; start < reads.length; start += MAX_READ_BATCH) {
        this.#readBatch(reads.slice(start, start + MAX_READ_BATCH));
      }
    });
  }

  /** Sends one batch of reads and hands each live mark on; a read that failed is retried on its own. */
  #readBatch(reads: readonly PendingRead[]): void {
    const keys = reads.map(({ entry }) => entry.key);
    const replies: Promise<ReadReply[]> =
      this.#cluster !== undefined || keys.length === 1
        ? Promise.all(
            keys.map((key) =>
              this.#command('GET', () => this.#client.get(key)).then(
                (value): ReadReply => [null, value],
                (error: unknown): ReadReply => [error, null],
              ),
            ),
          )
        : this.#command('MULTI/GET', () => this.#getAll(keys)).catch((error: unknown) =>
            keys.map((): ReadReply => [error, null]),
          );
    void replies.then((results) => {
      for (const [index, read] of reads.entries()) {
        const [error, value] = results[index] ?? [null, null];
        if (error !== null) {
          this.#readFailed(read, error);
          continue;
        }
        const event = decodeMark(read.entry.id, value);
        if (event !== null && !read.target.closed) read.target.next(event);
      }
    });
  }

  #readFailed({ entry, target, attempt }: PendingRead, error: unknown): void {
    this.#errors.next(error);
    if (this.#entries.get(entry.id) !== entry || target.closed) return;
    if (isPermissionError(error)) {
      // The watch can never read its key (the ACL lacks +get): say so rather than wait silently.
      this.#handlerFor(entry).error(error);
      return;
    }
    if (attempt >= 8) return;
    setTimeout(() => this.#refresh(entry, target, attempt + 1), Math.min(100 * 2 ** attempt, 5000)).unref();
  }

  /**
   * GETs many keys in one MULTI: one write and one reply, with only the commands of the minimal ACL
   * (MGET would need one more). Each key keeps its own error; a refused GET (NOPERM) aborts the MULTI,
   * and its error, not EXECABORT, is what is reported.
   */
  async #getAll(keys: readonly string[]): Promise<ReadReply[]> {
    const multi = this.#client.multi();
    for (const key of keys) multi.get(key);
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await multi.exec();
    } catch (error) {
      throw (error as { previousErrors?: unknown[] }).previousErrors?.[0] ?? error;
    }
    if (results === null) throw new Error('The MULTI transaction was discarded');
    return results.map(([error, value]): ReadReply => [error, (value ?? null) as string | null]);
  }

  #subscriberFor(): KeyspaceSubscriber | ClusterKeyspaceSubscriber {
    if (this.#subscriber === undefined && this.#cluster !== undefined) {
      const cluster = this.#cluster;
      this.#subscriber = new ClusterKeyspaceSubscriber({
        cluster,
        prepare: (subscriber, master) =>
          this.#ensureNotifications(subscriber, master, nodeProbeTag(cluster, master)),
        report: (error) => this.#errors.next(error),
        checkInterval: this.#checkInterval,
        topologyInterval: this.#topologyInterval,
      });
    }
    if (this.#subscriber === undefined) {
      const client = this.#client as RedisClient;
      const connection = client.duplicate({
        autoResubscribe: false,
        lazyConnect: true,
        maxRetriesPerRequest: null,
      }) as unknown as SubscriberConnection;
      this.#subscriber = new KeyspaceSubscriber({
        connection,
        prepare: (subscriber) => this.#ensureNotifications(subscriber, client, ''),
        checkInterval: this.#checkInterval,
        report: (error) => this.#errors.next(error),
      });
    }
    return this.#subscriber;
  }

  /**
   * Checks (and, when allowed, enables) keyspace notifications for string commands.
   * @returns true when they were off and this call turned them on.
   */
  async #ensureNotifications(
    subscriber: KeyspaceSubscriber,
    node: Pick<Redis, 'config' | 'set'>,
    probeTag: string,
  ): Promise<boolean> {
    let current: string | undefined;
    try {
      const reply = await this.#command('CONFIG GET', () => node.config('GET', 'notify-keyspace-events'));
      current = Array.isArray(reply) ? String(reply[1] ?? '') : undefined;
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      // CONFIG is not allowed here (managed Redis, ACL): verify empirically below.
    }
    if (current !== undefined) {
      if (missingNotifyFlags(current) === '') {
        this.#notificationsChecked = true;
        return false;
      }
      if (!this.#configure) {
        throw new NotificationsDisabledError(
          `notify-keyspace-events is "${current}" and configureNotifications is false`,
        );
      }
      try {
        await this.#command('CONFIG SET', () =>
          node.config('SET', 'notify-keyspace-events', mergeNotifyFlags(current)),
        );
        if (this.#notificationsChecked) {
          process.emitWarning(
            `Redis keyspace notifications were off (notify-keyspace-events "${current}": switched off, or lost in ` +
              'a server restart); rx-abort turned them back on and re-read every watched key. ' +
              'Keep "K$" in notify-keyspace-events in the server configuration.',
            { code: 'RX_ABORT_NOTIFICATIONS_RESTORED' },
          );
        }
        this.#notificationsChecked = true;
        return true;
      } catch (error) {
        if (error instanceof RedisUnavailableError) throw error;
        throw new NotificationsDisabledError(`notify-keyspace-events is "${current}" and CONFIG SET failed`, {
          cause: error,
        });
      }
    }
    const key = probeKey(this.prefix, `${probeTag}${randomUUID()}`);
    let seen: boolean;
    try {
      seen = await subscriber.probe(
        keyspaceChannel(this.#db, this.#keyPrefix + key),
        () => this.#command('SET', () => node.set(key, '1', 'PX', this.#probeTimeout + 1000)),
        this.#probeTimeout,
      );
    } catch (error) {
      // A refused permission does not heal by retrying: fail every watch (and ready()) instead of waiting.
      if (!isPermissionError(error)) throw error;
      throw new NotificationsDisabledError(
        `CONFIG is not available and the probe could not run (${(error as Error).message}); the Redis user ` +
          `needs +set and +subscribe on ~${this.#keyPrefix + this.prefix}* and ` +
          `&${keyspaceChannel(this.#db, this.#keyPrefix + this.prefix)}*`,
        { cause: error },
      );
    }
    if (!seen) {
      throw new NotificationsDisabledError(
        `CONFIG is not available and a probe key's "set" event did not arrive within ${this.#probeTimeout} ms`,
      );
    }
    return false;
  }

  /** Runs a command once the client is connected, rejecting with RedisUnavailableError after commandTimeout. */
  #command<T>(name: string, run: () => Promise<T>): Promise<T> {
    const timeout = this.#commandTimeout;
    return new Promise<T>((resolve, reject) => {
      const client = this.#client;
      // The connection error, if one happens while this command waits: the cause of a timeout.
      let lastError: unknown;
      const waiter: Waiter = {
        ready: () => {
          this.#unwait(waiter);
          send();
        },
        error: (error) => {
          lastError = error;
        },
      };
      const timer = setTimeout(() => {
        this.#unwait(waiter);
        const cause =
          lastError ?? new Error(`connection status "${client.status}", no reply within ${timeout} ms`);
        reject(new RedisUnavailableError(name, timeout, { cause }));
      }, timeout);
      const send = (): void => {
        run().then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(isReplyError(error) ? error : new RedisUnavailableError(name, timeout, { cause: error }));
          },
        );
      };
      if (client.status === 'ready' || client.status === 'wait') send();
      else this.#wait(waiter);
    });
  }

  /**
   * Commands waiting for the client to be ready share one 'ready' and one 'error' listener, attached only
   * while one waits: a burst of aborts while Redis is down adds two listeners to the user's client, not two
   * per command (which tripped Node's MaxListenersExceededWarning past ten).
   */
  readonly #waiting = new Set<Waiter>();

  #wait(waiter: Waiter): void {
    if (this.#waiting.size === 0) {
      this.#client.on('ready', this.#onWaitReady);
      this.#client.on('error', this.#onWaitError);
    }
    this.#waiting.add(waiter);
  }

  #unwait(waiter: Waiter): void {
    if (this.#waiting.delete(waiter) && this.#waiting.size === 0) {
      this.#client.off('ready', this.#onWaitReady);
      this.#client.off('error', this.#onWaitError);
    }
  }

  readonly #onWaitReady = (): void => {
    for (const waiter of [...this.#waiting]) waiter.ready();
  };

  readonly #onWaitError = (error: unknown): void => {
    for (const waiter of this.#waiting) waiter.error(error);
  };
}

/** A command waiting for the client to be ready. */
interface Waiter {
  ready(): void;
  error(error: unknown): void;
}

const OWNS_CLIENT = Symbol('ownsClient');

/** The most keys read in one MULTI. */
const MAX_READ_BATCH = 1000;

/** A GET's outcome: its error, or null and the value. */
type ReadReply = [error: unknown, value: string | null];

/** A read of a watched id's mark, waiting for the end of the tick. */
interface PendingRead {
  readonly entry: WatchEntry;
  readonly target: Subject<AbortEvent> | Subscriber<AbortEvent>;
  readonly attempt: number;
}

const isCluster = (client: RedisClient | Cluster): client is Cluster =>
  (client as { isCluster?: unknown }).isCluster === true;

/** Splits events into groups whose keys share a hash slot, so each group can be one MULTI on a cluster. */
function groupBySlot(events: readonly AbortEvent[], keyOf: (id: string) => string): AbortEvent[][] {
  const groups = new Map<number, AbortEvent[]>();
  for (const event of events) {
    const slot = calculateSlot(keyOf(event.id));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [event]);
    else group.push(event);
  }
  return [...groups.values()];
}

/** A hash tag (`{n}`) whose slot the given master owns, so a probe key written to it directly is not MOVED. */
function nodeProbeTag(cluster: Cluster, master: Redis): string {
  const key = `${master.options.host}:${master.options.port}`;
  for (let n = 0; n < 100_000; n++) {
    const tag = `{${n}}`;
    if (cluster.slots[calculateSlot(tag)]?.[0] === key) return tag;
  }
  return '';
}

/** An error reply from the server (NOPERM, WRONGTYPE, ...) as opposed to a connection failure. */
const isReplyError = (error: unknown): boolean => error instanceof Error && error.name === 'ReplyError';

/** A command refused by the server's ACL: permanent until an administrator changes the user. */
const isPermissionError = (error: unknown): boolean =>
  isReplyError(error) && /^NOPERM\b/.test((error as Error).message);

let ioredis: typeof Redis | undefined;
function loadIoredis(): typeof Redis {
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
