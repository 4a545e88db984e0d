import type { Redis } from 'ioredis';
import { isPermanentError } from '../../core/isPermanentError.js';
import { ChannelRegistry } from './ChannelRegistry.js';
import { NotificationsDisabledError } from './errors/NotificationsDisabledError.js';
import { RedisAuthError } from './errors/RedisAuthError.js';
import { RedisPermissionError } from './errors/RedisPermissionError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { isPublishedValue } from './markValue.js';
import { isAuthError, isPermissionError } from './replyErrors.js';

/** The few commands a subscriber connection needs: its own connection, from `client.duplicate()`. */
export type SubscriberConnection = Pick<
  Redis,
  'subscribe' | 'unsubscribe' | 'on' | 'off' | 'connect' | 'disconnect' | 'status'
>;

/**
 * What the owner of the watched channels is told: one listener for all of them (no object per channel),
 * which finds its own record by channel name.
 */
export interface ChannelListener {
  /** A keyspace event (`set`, `del`, `expired`, ...) arrived on a watched channel. */
  message(channel: string, message: string): void;
  /**
   * A value was published on a watched channel right behind its own `set` event, on this connection (as
   * `MarkWriter` writes them, in one MULTI): it is the key's value as of that `set`, so it may stand in for
   * the read the `set` asked for. A published value without its `set` (relayed by another cluster master,
   * or published by someone else while notifications are off) never reaches the listener.
   */
  value(channel: string, message: string): void;
  /** The subscription of `channel` is confirmed, first or again after a reconnect: re-read the key now. */
  subscribed(channel: string): void;
  /** No channel can be watched any more (e.g. notifications are off and cannot be turned on). */
  failed(error: unknown): void;
}

/** Options of {@link KeyspaceSubscriber}. */
export interface KeyspaceSubscriberOptions {
  /** The dedicated subscriber connection (`autoResubscribe: false`: this class resubscribes and re-reads). */
  connection: SubscriberConnection;
  /** Told about every watched channel. */
  listener: ChannelListener;
  /**
   * Runs after every (re)connect, before the channels are subscribed again, and every `checkInterval`
   * while a channel is watched: makes sure keyspace notifications are on, and resolves `true` when it found
   * them off and turned them back on. A {@link NotificationsDisabledError} or a permanent error (see
   * `isPermanentError`) fails the listener; other errors are reported and the step is retried with backoff.
   */
  prepare(subscriber: KeyspaceSubscriber): Promise<boolean>;
  /**
   * A channel under the watched namespace that no key uses, subscribed and unsubscribed after every
   * (re)connect: proves the user may subscribe there, so `online()` rejects with
   * {@link RedisPermissionError} at once when the ACL no longer grants the channels, even with nothing
   * watched. Omitted: no such check.
   */
  permissionChannel?: string;
  /** Milliseconds between notification checks while a channel is watched; `0` checks only on (re)connect. */
  checkInterval: number;
  /** Non-fatal errors (connection errors, a failed retry), for diagnostics. */
  report(error: unknown): void;
}

const CHUNK = 5000;
const chunks = (channels: readonly string[]): string[][] => {
  const out: string[][] = [];
  for (let i = 0; i < channels.length; i += CHUNK) out.push(channels.slice(i, i + CHUNK));
  return out;
};

/** A preparation failure that no retry can fix: it fails every handler. */
const isFatal = (error: unknown): boolean =>
  error instanceof NotificationsDisabledError || isPermanentError(error);

type State = 'idle' | 'connecting' | 'online' | 'failed' | 'closed';

/**
 * One subscriber connection multiplexed over many keyspace channels: `SUBSCRIBE` when a channel is added,
 * `UNSUBSCRIBE` when it is removed (batched per tick through a {@link ChannelRegistry}), and after every
 * reconnect: prepare (notifications), resubscribe everything, then tell the listener to re-read each channel,
 * because pub/sub keeps nothing that was published while the connection was down.
 *
 * A connection that ends for good (ioredis `end`: the `retryStrategy` gave up) fails every watch, `online()`
 * and every later watch with {@link RedisUnavailableError}, its cause saying the connection ended.
 */
export class KeyspaceSubscriber {
  readonly #connection: SubscriberConnection;
  readonly #prepare: (subscriber: KeyspaceSubscriber) => Promise<boolean>;
  readonly #checkInterval: number;
  readonly #permissionChannel: string | undefined;
  #check: NodeJS.Timeout | undefined;
  readonly #report: (error: unknown) => void;
  readonly #registry = new ChannelRegistry();
  readonly #listener: ChannelListener;
  readonly #probes = new Map<string, () => void>();
  #state: State = 'idle';
  /** The channel whose `set` event is the latest message on this connection (then its value may follow). */
  #afterSet: string | undefined;
  /** The credentials were refused at the last connection attempt: new watches fail at once with this. */
  #refused: RedisAuthError | undefined;
  /** The connection ended for good (its `retryStrategy` gave up): every watch, now and later, fails with this. */
  #ended: RedisUnavailableError | undefined;
  /** The latest connection error, for the cause of {@link KeyspaceSubscriber.#ended}. */
  #lastError: unknown;
  #epoch = 0;
  #flushQueued = false;
  #retry: NodeJS.Timeout | undefined;
  #retryDelay = 100;
  #onlineWaiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];

  constructor(options: KeyspaceSubscriberOptions) {
    this.#connection = options.connection;
    this.#listener = options.listener;
    this.#prepare = options.prepare;
    this.#checkInterval = options.checkInterval;
    this.#permissionChannel = options.permissionChannel;
    this.#report = options.report;
  }

  /** Channels subscribed or about to be. */
  get size(): number {
    return this.#registry.size;
  }

  /** Watches `channel`; `listener.subscribed(channel)` runs once the subscription is confirmed. */
  add(channel: string): void {
    this.#registry.add(channel);
    this.#start();
    this.#queueFlush();
    this.#armCheck();
    const fatal = this.#fatal();
    if (fatal !== undefined) {
      queueMicrotask(() => {
        if (this.#registry.has(channel) && this.#fatal() === fatal) this.#fail(fatal);
      });
    } else if (this.#state === 'online' && !this.#registry.pendingSubscribe(channel)) {
      // Still subscribed from before (removed and re-added within a tick): confirm at once.
      queueMicrotask(() => {
        if (this.#registry.has(channel)) this.#listener.subscribed(channel);
      });
    }
  }

  /** Stops watching `channel`. */
  remove(channel: string): void {
    this.#registry.remove(channel);
    this.#queueFlush();
  }

  /**
   * Connects (once) and resolves when the connection is prepared and subscribed; rejects if preparing failed,
   * the credentials were refused, or the connection ended for good.
   */
  online(): Promise<void> {
    if (this.#state === 'online') return Promise.resolve();
    const fatal = this.#fatal();
    if (fatal !== undefined) return Promise.reject(fatal);
    this.#start();
    return new Promise((resolve, reject) => this.#onlineWaiters.push({ resolve, reject }));
  }

  /**
   * Subscribes `channel`, runs `trigger`, and resolves whether a message arrived on it within `timeout` ms:
   * the empirical check that notifications are on where `CONFIG` is not allowed.
   */
  async probe(channel: string, trigger: () => Promise<unknown>, timeout: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeout);
      this.#probes.set(channel, () => resolve(true));
    });
    try {
      await this.#connection.subscribe(channel);
      await trigger();
      return await seen;
    } finally {
      clearTimeout(timer);
      this.#probes.delete(channel);
      await this.#connection.unsubscribe(channel).catch(() => {});
    }
  }

  /** Forgets every channel and disconnects. */
  close(): void {
    this.#state = 'closed';
    clearTimeout(this.#retry);
    clearTimeout(this.#check);
    this.#connection.off('message', this.#onMessage);
    this.#connection.off('ready', this.#onReady);
    this.#connection.off('close', this.#onClose);
    this.#connection.off('error', this.#onError);
    this.#connection.off('end', this.#onEnd);
    this.#connection.disconnect();
    this.#settleWaiters(new Error('The subscriber was closed'));
  }

  #start(): void {
    if (this.#state === 'idle') {
      this.#state = 'connecting';
      this.#connection.on('message', this.#onMessage);
      this.#connection.on('ready', this.#onReady);
      this.#connection.on('close', this.#onClose);
      this.#connection.on('error', this.#onError);
      this.#connection.on('end', this.#onEnd);
      if (this.#connection.status === 'ready') this.#onReady();
      else if (this.#connection.status === 'wait') this.#connection.connect().catch(() => {});
    } else if (this.#state === 'failed' && this.#connection.status === 'ready') {
      this.#onReady();
    }
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#state !== 'online') return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      if (this.#state === 'online') this.#send(this.#registry.flush(), this.#epoch);
    });
  }

  #send(
    commands: { unsubscribe: readonly string[]; subscribe: readonly string[] },
    epoch: number,
  ): Promise<unknown> {
    for (const batch of chunks(commands.unsubscribe)) {
      this.#connection.unsubscribe(...batch).catch((error: unknown) => this.#report(error));
    }
    const confirmations = chunks(commands.subscribe).map((batch) =>
      this.#connection.subscribe(...batch).then(
        () => {
          if (epoch !== this.#epoch) return;
          for (const channel of batch) if (this.#registry.has(channel)) this.#listener.subscribed(channel);
        },
        (error: unknown) => {
          if (epoch !== this.#epoch) return;
          // The ACL no longer grants the channels: that never heals by resubscribing, so say so.
          if (isPermissionError(error)) this.#fail(new RedisPermissionError('SUBSCRIBE', { cause: error }));
          // Otherwise the next ready resubscribes and re-reads everything.
          else this.#report(error);
        },
      ),
    );
    return Promise.all(confirmations);
  }

  readonly #onMessage = (channel: string, message: string): void => {
    const afterSet = this.#afterSet === channel;
    if (isPublishedValue(message)) {
      this.#afterSet = undefined;
      if (afterSet) this.#listener.value(channel, message);
      return;
    }
    // `SET ... PX` also sends `expire` when the `g` flag is on: the value still follows its `set`.
    this.#afterSet = message === 'set' || (afterSet && message === 'expire') ? channel : undefined;
    const probe = this.#probes.get(channel);
    if (probe !== undefined) probe();
    else this.#listener.message(channel, message);
  };

  readonly #onClose = (): void => {
    if (this.#state === 'online') this.#state = 'connecting';
    this.#afterSet = undefined;
    clearTimeout(this.#check);
    this.#check = undefined;
    this.#epoch++;
  };

  readonly #onError = (error: unknown): void => {
    this.#lastError = error;
    this.#report(error);
    // The server refused the credentials (rotated password, removed user): reconnecting with the same ones
    // cannot help, so every watch errors now instead of waiting silently.
    if (isAuthError(error) && this.#state !== 'closed') {
      this.#refused = new RedisAuthError('the subscriber connection', { cause: error });
      this.#fail(this.#refused);
    }
  };

  /**
   * ioredis gave up on the connection (the `retryStrategy` returned a non-number) and will not reconnect: no
   * watch can fire any more, so each errors now, and so does every later one and `online()`. (`close()`
   * removes this listener first, so our own disconnect never lands here.)
   */
  readonly #onEnd = (): void => {
    if (this.#state === 'closed' || this.#ended !== undefined) return;
    clearTimeout(this.#retry);
    clearTimeout(this.#check);
    this.#check = undefined;
    this.#epoch++;
    this.#ended = new RedisUnavailableError('the subscriber connection', undefined, {
      cause: new Error(
        "The subscriber connection ended: the client's retryStrategy stopped reconnecting (ioredis 'end')",
        { cause: this.#lastError },
      ),
    });
    this.#fail(this.#ended);
  };

  readonly #onReady = (): void => {
    if (this.#state === 'closed' || this.#ended !== undefined) return;
    clearTimeout(this.#retry);
    this.#refused = undefined;
    const epoch = ++this.#epoch;
    this.#state = 'connecting';
    this.#prepare(this).then(
      () => {
        if (epoch !== this.#epoch || this.#state === 'closed') return;
        this.#retryDelay = 100;
        this.#state = 'online';
        const resubscribed = this.#send(this.#registry.resubscribe(), epoch);
        this.#armCheck();
        return Promise.all([resubscribed, this.#checkPermission(epoch)]).then(() => {
          if (epoch === this.#epoch && this.#state === 'online') this.#settleWaiters();
        });
      },
      (error: unknown) => {
        if (epoch !== this.#epoch || this.#state === 'closed') return;
        if (isFatal(error)) {
          this.#fail(error);
          return;
        }
        this.#report(error);
        const delay = this.#retryDelay;
        this.#retryDelay = Math.min(delay * 2, 5000);
        this.#retry = setTimeout(() => {
          if (epoch === this.#epoch && this.#connection.status === 'ready') this.#onReady();
        }, delay);
      },
    );
  };

  /** Subscribes and unsubscribes the permission channel: a refusal fails everything (see the option). */
  #checkPermission(epoch: number): Promise<unknown> {
    const channel = this.#permissionChannel;
    if (channel === undefined) return Promise.resolve();
    return this.#connection.subscribe(channel).then(
      () => this.#connection.unsubscribe(channel).catch(() => {}),
      (error: unknown) => {
        if (epoch !== this.#epoch || this.#state !== 'online') return;
        if (isPermissionError(error)) this.#fail(new RedisPermissionError('SUBSCRIBE', { cause: error }));
        else this.#report(error);
      },
    );
  }

  /** In the failed state, the error that no reconnect heals and that new watches get at once. */
  #fatal(): RedisUnavailableError | RedisAuthError | undefined {
    return this.#state === 'failed' ? (this.#ended ?? this.#refused) : undefined;
  }

  #fail(error: unknown): void {
    this.#state = 'failed';
    this.#listener.failed(error);
    this.#settleWaiters(error);
  }

  /** Schedules the next notification check, only while something is watched (an idle process sends nothing). */
  #armCheck(): void {
    if (
      this.#checkInterval <= 0 ||
      this.#check !== undefined ||
      this.#state !== 'online' ||
      this.#registry.size === 0
    ) {
      return;
    }
    this.#check = setTimeout(() => {
      this.#check = undefined;
      if (this.#state !== 'online' || this.#registry.size === 0) return;
      const epoch = this.#epoch;
      this.#prepare(this).then(
        (repaired) => {
          if (epoch !== this.#epoch || this.#state !== 'online') return;
          if (repaired) {
            // Events published while notifications were off are gone: re-read every watched key.
            for (const channel of this.#registry.channels()) this.#listener.subscribed(channel);
          }
          this.#armCheck();
        },
        (error: unknown) => {
          if (epoch !== this.#epoch || this.#state !== 'online') return;
          if (isFatal(error)) this.#fail(error);
          else {
            this.#report(error);
            this.#armCheck();
          }
        },
      );
    }, this.#checkInterval);
    this.#check.unref();
  }

  #settleWaiters(error?: unknown): void {
    const waiters = this.#onlineWaiters;
    this.#onlineWaiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
