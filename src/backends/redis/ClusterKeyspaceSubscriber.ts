import type { Cluster, Redis } from 'ioredis';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { type ChannelListener, KeyspaceSubscriber, type SubscriberConnection } from './KeyspaceSubscriber.js';

/** The slice of an ioredis `Cluster` the cluster subscriber follows. */
export type ClusterTopology = Pick<
  Cluster,
  'nodes' | 'on' | 'once' | 'off' | 'refreshSlotsCache' | 'status' | 'slots' | 'connect'
>;

/** Options of {@link ClusterKeyspaceSubscriber}. */
export interface ClusterKeyspaceSubscriberOptions {
  cluster: ClusterTopology;
  /** Told about every watched channel, once per channel (not once per master). */
  listener: ChannelListener;
  /** Checks/enables notifications on one master (see `KeyspaceSubscriberOptions.prepare`). */
  prepare(subscriber: KeyspaceSubscriber, master: Redis): Promise<boolean>;
  report(error: unknown): void;
  /** See `KeyspaceSubscriberOptions.checkInterval`. */
  checkInterval: number;
  /** See `KeyspaceSubscriberOptions.permissionChannel`. */
  permissionChannel?: string;
  /**
   * While something is watched, how often to ask the cluster for its topology, to find masters that
   * appeared without this process noticing (a node added and given slots). Failovers are found at once.
   */
  topologyInterval: number;
}

const nodeKey = (node: Redis): string => `${node.options.host}:${node.options.port}`;

/**
 * Keyspace notifications on Redis Cluster are published only by the master that owns the key, and ioredis's
 * `Cluster` subscribes on one arbitrary node. So this subscribes every watched channel on every master,
 * each through a {@link KeyspaceSubscriber} of its own (a dedicated connection per master). A slot can
 * then move between masters (resharding) without any watch missing its event, at the cost of one
 * subscription per master per watched id; only the owner publishes, so events are not multiplied.
 *
 * Topology: when a master's subscriber connection drops (a failover), and every `topologyInterval` while
 * something is watched, the slot map is refreshed; a new master gets every channel and, once it has
 * confirmed them, each watch re-reads its key, so an abort written to it meanwhile still lands. A channel
 * counts as subscribed (its handler re-reads) when every current master has confirmed it.
 *
 * The end: when the cluster client ends for good (its `clusterRetryStrategy` gave up, or it was quit while
 * watched), every watch errors with {@link RedisUnavailableError}, `online()` rejects with it, and so does
 * every later watch; the per-master connections are closed (they would otherwise reconnect forever).
 */
export class ClusterKeyspaceSubscriber {
  readonly #options: ClusterKeyspaceSubscriberOptions;
  readonly #masters = new Map<string, KeyspaceSubscriber>();
  /** Watched channels, each with the masters whose subscription is not confirmed yet (none: `undefined`). */
  readonly #watched = new Map<string, Set<string> | undefined>();
  #started = false;
  #closed = false;
  /** The cluster client ended for good: every watch, now and later, fails with this. */
  #ended: RedisUnavailableError | undefined;
  /** The `online()` calls waiting, rejected when the cluster client ends. */
  readonly #endWaiters = new Set<(error: unknown) => void>();
  #topologyTimer: NodeJS.Timeout | undefined;

  constructor(options: ClusterKeyspaceSubscriberOptions) {
    this.#options = options;
  }

  /** Channels watched now. */
  get size(): number {
    return this.#watched.size;
  }

  /** The masters subscribed to now (`host:port`). */
  get masters(): string[] {
    return [...this.#masters.keys()];
  }

  add(channel: string): void {
    this.#start();
    const ended = this.#ended;
    if (ended !== undefined) {
      this.#watched.set(channel, undefined);
      queueMicrotask(() => {
        if (this.#watched.has(channel)) this.#failAll(ended);
      });
      return;
    }
    this.#watched.set(channel, this.#masters.size === 0 ? undefined : new Set(this.#masters.keys()));
    for (const subscriber of this.#masters.values()) subscriber.add(channel);
    this.#armTopology();
  }

  remove(channel: string): void {
    this.#watched.delete(channel);
    for (const subscriber of this.#masters.values()) subscriber.remove(channel);
  }

  /**
   * Resolves when every master's subscriber is prepared and online; rejects with
   * {@link RedisUnavailableError} when the cluster client ends (or has ended) for good.
   */
  async online(): Promise<void> {
    this.#start();
    if (this.#ended !== undefined) throw this.#ended;
    let onEnd: ((error: unknown) => void) | undefined;
    const ended = new Promise<never>((_, reject) => {
      onEnd = reject;
      this.#endWaiters.add(reject);
    });
    // The 'ready' listener on the user's cluster is removed however this ends (ready, or the end won).
    let onReady: (() => void) | undefined;
    const allOnline = async (): Promise<void> => {
      const { cluster } = this.#options;
      if (cluster.status !== 'ready') {
        await new Promise<void>((resolve) => {
          onReady = resolve;
          cluster.once('ready', onReady);
        });
        this.#sync();
      }
      await Promise.all([...this.#masters.values()].map((subscriber) => subscriber.online()));
    };
    try {
      await Promise.race([allOnline(), ended]);
    } finally {
      if (onEnd !== undefined) this.#endWaiters.delete(onEnd);
      if (onReady !== undefined) this.#options.cluster.off('ready', onReady);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#topologyTimer);
    this.#options.cluster.off('refresh', this.#sync);
    this.#options.cluster.off('+node', this.#sync);
    this.#options.cluster.off('-node', this.#sync);
    this.#options.cluster.off('end', this.#onEnd);
    for (const subscriber of this.#masters.values()) subscriber.close();
    this.#masters.clear();
    this.#watched.clear();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#options.cluster.on('refresh', this.#sync);
    this.#options.cluster.on('+node', this.#sync);
    this.#options.cluster.on('-node', this.#sync);
    this.#options.cluster.on('end', this.#onEnd);
    if (this.#options.cluster.status === 'end') this.#onEnd();
    else this.#sync();
    // A cluster client made with lazyConnect connects only when asked: watching asks (its failure, if it
    // gives up, comes as 'end').
    if (this.#options.cluster.status === 'wait') this.#options.cluster.connect().catch(() => {});
  }

  /** The cluster client gave up reconnecting (or was quit): nothing can be watched any more. */
  readonly #onEnd = (): void => {
    if (this.#closed || this.#ended !== undefined) return;
    const ended = new RedisUnavailableError('the Redis Cluster connection', undefined, {
      cause: new Error(
        "The cluster connection ended: the client's clusterRetryStrategy stopped reconnecting, or it was quit (ioredis 'end')",
      ),
    });
    this.#ended = ended;
    clearTimeout(this.#topologyTimer);
    for (const reject of [...this.#endWaiters]) reject(ended);
    this.#endWaiters.clear();
    for (const subscriber of this.#masters.values()) subscriber.close();
    this.#masters.clear();
    this.#failAll(ended);
  };

  /** Forgets every watched channel and errors their watches. */
  #failAll(error: unknown): void {
    if (this.#watched.size === 0) return;
    this.#watched.clear();
    this.#options.listener.failed(error);
  }

  /** The listener of one master's subscriber: one object per master, not per channel. */
  #masterListener(key: string): ChannelListener {
    const { listener } = this.#options;
    return {
      message: (channel, message) => {
        if (this.#watched.has(channel)) listener.message(channel, message);
      },
      // Only the master that owns the key sends its `set`, so only its copy of a value reaches here: the
      // other masters' copies of the same PUBLISH (Cluster relays it to every node) arrive without one.
      value: (channel, message) => {
        if (this.#watched.has(channel)) listener.value(channel, message);
      },
      subscribed: (channel) => this.#confirmed(channel, key),
      failed: (error) => {
        if (this.#watched.size === 0) return;
        for (const channel of [...this.#watched.keys()]) this.remove(channel);
        listener.failed(error);
      },
    };
  }

  /** `key` confirmed `channel` (or left): once every master has, the listener re-reads. */
  #confirmed(channel: string, key: string): void {
    const pending = this.#watched.get(channel);
    if (pending === undefined) {
      // Confirmed again by one master (its reconnect): that master missed what was published meanwhile.
      if (this.#watched.has(channel)) this.#options.listener.subscribed(channel);
      return;
    }
    if (!pending.delete(key) || pending.size > 0) return;
    this.#watched.set(channel, undefined);
    this.#options.listener.subscribed(channel);
  }

  /** Brings the per-master subscribers in line with the masters the cluster client knows. */
  readonly #sync = (): void => {
    if (this.#closed || this.#ended !== undefined) return;
    const current = new Map(this.#options.cluster.nodes('master').map((node) => [nodeKey(node), node]));
    for (const [key, subscriber] of this.#masters) {
      if (current.has(key)) continue;
      subscriber.close();
      this.#masters.delete(key);
      for (const [channel, pending] of this.#watched) {
        if (pending?.has(key) === true) this.#confirmed(channel, key);
      }
    }
    for (const [key, master] of current) {
      if (this.#masters.has(key)) continue;
      const connection = master.duplicate({
        autoResubscribe: false,
        lazyConnect: true,
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2000),
      }) as unknown as SubscriberConnection;
      const subscriber = new KeyspaceSubscriber({
        connection,
        listener: this.#masterListener(key),
        prepare: (self) => this.#options.prepare(self, master),
        report: this.#options.report,
        checkInterval: this.#options.checkInterval,
        ...(this.#options.permissionChannel === undefined
          ? {}
          : { permissionChannel: this.#options.permissionChannel }),
      });
      connection.on('close', this.#onMasterLost);
      this.#masters.set(key, subscriber);
      for (const [channel, pending] of this.#watched) {
        if (pending === undefined) this.#watched.set(channel, new Set([key]));
        else pending.add(key);
        subscriber.add(channel);
      }
      if (this.#watched.size === 0) subscriber.online().catch(() => {});
    }
  };

  /** A master's subscriber connection dropped: it may have failed over, so ask the cluster. */
  readonly #onMasterLost = (): void => {
    if (this.#closed || this.#ended !== undefined || this.#options.cluster.status !== 'ready') return;
    this.#options.cluster.refreshSlotsCache();
  };

  #armTopology(): void {
    if (this.#topologyTimer !== undefined || this.#options.topologyInterval <= 0 || this.#closed) return;
    this.#topologyTimer = setTimeout(() => {
      this.#topologyTimer = undefined;
      if (this.#watched.size === 0 || this.#closed) return;
      if (this.#options.cluster.status === 'ready') this.#options.cluster.refreshSlotsCache();
      this.#armTopology();
    }, this.#options.topologyInterval);
    this.#topologyTimer.unref();
  }
}
