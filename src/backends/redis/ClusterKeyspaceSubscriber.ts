import type { Cluster, Redis } from 'ioredis';
import { type ChannelHandler, KeyspaceSubscriber, type SubscriberConnection } from './KeyspaceSubscriber.js';

/** The slice of an ioredis `Cluster` the cluster subscriber follows. */
export type ClusterTopology = Pick<
  Cluster,
  'nodes' | 'on' | 'once' | 'off' | 'refreshSlotsCache' | 'status' | 'slots'
>;

/** Options of {@link ClusterKeyspaceSubscriber}. */
export interface ClusterKeyspaceSubscriberOptions {
  cluster: ClusterTopology;
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

interface Watched {
  readonly handler: ChannelHandler;
  /** Masters whose subscription to this channel is not confirmed yet. */
  readonly pending: Set<string>;
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
 */
export class ClusterKeyspaceSubscriber {
  readonly #options: ClusterKeyspaceSubscriberOptions;
  readonly #masters = new Map<string, KeyspaceSubscriber>();
  readonly #watched = new Map<string, Watched>();
  #started = false;
  #closed = false;
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

  add(channel: string, handler: ChannelHandler): void {
    this.#start();
    const watched: Watched = { handler, pending: new Set(this.#masters.keys()) };
    this.#watched.set(channel, watched);
    for (const [key, subscriber] of this.#masters) subscriber.add(channel, this.#nodeHandler(channel, key));
    this.#armTopology();
  }

  remove(channel: string): void {
    this.#watched.delete(channel);
    for (const subscriber of this.#masters.values()) subscriber.remove(channel);
  }

  /** Resolves when every master's subscriber is prepared and online. */
  async online(): Promise<void> {
    this.#start();
    if (this.#options.cluster.status !== 'ready') {
      await new Promise<void>((resolve) => this.#options.cluster.once('ready', () => resolve()));
      this.#sync();
    }
    await Promise.all([...this.#masters.values()].map((subscriber) => subscriber.online()));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#topologyTimer);
    this.#options.cluster.off('refresh', this.#sync);
    this.#options.cluster.off('+node', this.#sync);
    this.#options.cluster.off('-node', this.#sync);
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
    this.#sync();
  }

  #nodeHandler(channel: string, key: string): ChannelHandler {
    return {
      event: (name) => this.#watched.get(channel)?.handler.event(name),
      subscribed: () => {
        const watched = this.#watched.get(channel);
        if (watched === undefined) return;
        watched.pending.delete(key);
        if (watched.pending.size === 0) watched.handler.subscribed();
      },
      error: (error) => {
        const watched = this.#watched.get(channel);
        if (watched === undefined) return;
        this.remove(channel);
        watched.handler.error(error);
      },
    };
  }

  /** Brings the per-master subscribers in line with the masters the cluster client knows. */
  readonly #sync = (): void => {
    if (this.#closed) return;
    const current = new Map(this.#options.cluster.nodes('master').map((node) => [nodeKey(node), node]));
    for (const [key, subscriber] of this.#masters) {
      if (current.has(key)) continue;
      subscriber.close();
      this.#masters.delete(key);
      for (const watched of this.#watched.values()) {
        if (watched.pending.delete(key) && watched.pending.size === 0) watched.handler.subscribed();
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
        prepare: (self) => this.#options.prepare(self, master),
        report: this.#options.report,
        checkInterval: this.#options.checkInterval,
        ...(this.#options.permissionChannel === undefined
          ? {}
          : { permissionChannel: this.#options.permissionChannel }),
      });
      connection.on('close', this.#onMasterLost);
      this.#masters.set(key, subscriber);
      for (const [channel, watched] of this.#watched) {
        watched.pending.add(key);
        subscriber.add(channel, this.#nodeHandler(channel, key));
      }
      if (this.#watched.size === 0) subscriber.online().catch(() => {});
    }
  };

  /** A master's subscriber connection dropped: it may have failed over, so ask the cluster. */
  readonly #onMasterLost = (): void => {
    if (this.#closed || this.#options.cluster.status !== 'ready') return;
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
