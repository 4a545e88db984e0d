import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { validateMilliseconds, validateOptions } from '../../core/validate.js';
import type { Actor } from '../actor.js';
import type { Broker, BrokerMiddleware, Delivery, JoinOptions, ReceiveOptions } from '../Broker.js';
import { ActorAlreadyDeclaredError } from '../errors/ActorAlreadyDeclaredError.js';
import { ActorNotFoundError } from '../errors/ActorNotFoundError.js';
import { BrokerClosedError } from '../errors/BrokerClosedError.js';
import { validateReceiveOptions } from '../MemoryBroker.js';
import { type Message, parseMessage } from '../Message.js';
import { MiddlewareList } from '../MiddlewareList.js';
import { validateName } from '../validate.js';
import { messageField, parseEntries, parseReadReply, type StreamEntry } from './replies.js';
import { ACK, ENQUEUE_DELAYED, HEARTBEAT, PROMOTE_DUE, REQUEUE } from './scripts.js';

/**
 * The commands {@link RedisBroker} sends on the client it is given: a narrow slice of ioredis's `Redis`.
 * It `duplicate()`s the client for each consumer's blocking reads.
 */
export type RedisBrokerClient = Pick<Redis, 'call' | 'duplicate' | 'quit' | 'on' | 'off'>;

/** Options of {@link RedisBroker}: a `url` or a `client`, and the settings. */
export interface RedisBrokerOptions {
  /** A `redis://` or `rediss://` URL: the broker opens (and closes) its own connections. */
  url?: string;
  /** An ioredis client to send commands on (closed by you, not by the broker); instead of `url`. */
  client?: RedisBrokerClient;
  /** ioredis options for the connections made from `url` (TLS, password, ...), passed through. @default {} */
  redisOptions?: RedisOptions;
  /**
   * Namespace of the broker's keys: queue `q` is the stream `${prefix}{q}:stream` and the sorted set of its
   * delayed messages `${prefix}{q}:delayed` (the braces keep both in one Cluster slot).
   * @default 'rx-abort-broker:'
   */
  prefix?: string;
  /** The consumer group that the workers of every queue share. @default 'workers' */
  group?: string;
  /**
   * The longest a `receive` waits on the server (XREADGROUP BLOCK) before it looks again (delayed messages
   * due, idle messages to claim). A stopping worker interrupts it at once (CLIENT UNBLOCK) where allowed.
   * @default 1000
   */
  blockTime?: number;
  /**
   * How long a received message may go without a heartbeat before another worker takes it over
   * (XAUTOCLAIM): the time after which the worker that holds it is presumed dead. Live workers refresh
   * their messages every `claimIdleTime / 3`, so a long task is never taken from a live worker.
   * @default 30_000
   */
  claimIdleTime?: number;
}

/** Message counts of one queue of a {@link RedisBroker}. */
export interface RedisQueueStats {
  /** Entries in the stream: waiting, or received and not yet acknowledged. */
  readonly length: number;
  /** Entries received by a worker and not yet acknowledged. */
  readonly pending: number;
  /** Messages waiting for their delay. */
  readonly delayed: number;
}

interface Reader {
  readonly connection: Redis;
  clientId: number | undefined;
  /** The read in progress (one at a time per connection), possibly one whose caller stopped waiting. */
  current: Promise<unknown> | undefined;
  /** The signal of the receive loop using it: when it aborts (the worker stopped), the connection is closed. */
  signal: AbortSignal | undefined;
}

interface Held {
  readonly key: string;
  readonly consumer: string;
}

const MAX_TIMER = 2 ** 31 - 1;

/**
 * A broker on Redis Streams, for workers in many processes: one stream per queue with one consumer group
 * that all workers share (`XADD`, `XREADGROUP`, `XACK`), delayed messages in a sorted set moved to the
 * stream when due (by a Lua script, atomically, on the server's clock), and `XAUTOCLAIM` to take over the
 * messages of a worker that died.
 *
 * Delivery is at least once: an entry stays pending until its task is settled; then it is acknowledged
 * and deleted (`XACK` + `XDEL`), or, when the worker stops, returned to the tail of its queue. A worker
 * refreshes the entries it holds every `claimIdleTime / 3`; an entry left idle for `claimIdleTime` (its
 * worker was killed, or lost Redis for that long) is claimed by another worker, which then runs it (after
 * its own pre-start abort check, so an abort issued meanwhile is honoured).
 *
 * Each consumer (worker) gets its own connection (`duplicate()`) for blocking reads; commands go on the
 * main client.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Abortable, RedisBackend, RedisBroker, Worker, actor, setBroker } from 'rx-abort';
 * const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
 * const broker = new RedisBroker({ url, claimIdleTime: 60_000 });
 * setBroker(broker);
 * broker.addMiddleware(new Abortable({ backend: new RedisBackend({ client: new Redis(url) }) }));
 * const countWords = actor('count_words', (text: string) => text.split(' ').length);
 * const worker = new Worker(broker, { concurrency: 16 }).start();
 * await countWords.send('a few words');
 * await worker.stop();
 * await broker.close();
 * ```
 */
export class RedisBroker implements Broker {
  /** The key namespace. */
  readonly prefix: string;
  /** The consumer group. */
  readonly group: string;
  /** See {@link RedisBrokerOptions.blockTime}. */
  readonly blockTime: number;
  /** See {@link RedisBrokerOptions.claimIdleTime}. */
  readonly claimIdleTime: number;

  readonly #client: RedisBrokerClient;
  readonly #ownsClient: boolean;
  readonly #middleware = new MiddlewareList();
  readonly #actors = new Map<string, Actor>();
  readonly #queues = new Set<string>();
  readonly #groups = new Map<string, Promise<void>>();
  readonly #readers = new Map<string, Reader>();
  readonly #held = new Map<string, Held>();
  readonly #lastClaim = new Map<string, number>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * @param options - see {@link RedisBrokerOptions}.
   * @throws TypeError / RangeError for a missing or double connection setting, or an invalid option; TypeError
   * when `url` is given and ioredis is not installed.
   */
  constructor(options: RedisBrokerOptions) {
    const checked = validateOptions<RedisBrokerOptions>(options, {
      url: true,
      client: true,
      redisOptions: true,
      prefix: true,
      group: true,
      blockTime: true,
      claimIdleTime: true,
    });
    if ((checked.url === undefined) === (checked.client === undefined)) {
      throw new TypeError('options must have either url (a redis:// URL) or client (an ioredis client)');
    }
    if (checked.url !== undefined) {
      if (typeof checked.url !== 'string' || checked.url.length === 0) {
        throw new TypeError('options.url must be a non-empty redis:// URL string');
      }
      this.#client = new (loadIoredis())(checked.url, { maxRetriesPerRequest: 2, ...checked.redisOptions });
      this.#ownsClient = true;
    } else {
      const client = checked.client;
      if (client === null || typeof client !== 'object' || typeof client.duplicate !== 'function') {
        throw new TypeError('options.client must be an ioredis client (new Redis(...))');
      }
      this.#client = client;
      this.#ownsClient = false;
    }
    const prefix = checked.prefix ?? 'rx-abort-broker:';
    if (typeof prefix !== 'string' || /[\n\r\0{}]/.test(prefix)) {
      throw new TypeError('options.prefix must be a string without newlines, NUL or braces');
    }
    this.prefix = prefix;
    this.group = checked.group === undefined ? 'workers' : validateName(checked.group, 'options.group');
    this.blockTime =
      checked.blockTime === undefined
        ? 1000
        : validateMilliseconds(checked.blockTime, 'options.blockTime', 1, 60_000);
    this.claimIdleTime =
      checked.claimIdleTime === undefined
        ? 30_000
        : validateMilliseconds(checked.claimIdleTime, 'options.claimIdleTime', 30, MAX_TIMER);
    this.#client.on('error', ignore);
  }

  get middleware(): readonly BrokerMiddleware[] {
    return this.#middleware.list;
  }

  get actors(): readonly Actor[] {
    return [...this.#actors.values()];
  }

  /** The stream key of a queue. */
  streamKey(queueName: string): string {
    return `${this.prefix}{${queueName}}:stream`;
  }

  /** The sorted-set key of a queue's delayed messages. */
  delayedKey(queueName: string): string {
    return `${this.prefix}{${queueName}}:delayed`;
  }

  addMiddleware(middleware: BrokerMiddleware): void {
    this.#middleware.add(middleware);
  }

  getMiddleware<T extends object>(type: abstract new (...args: never[]) => T): T | undefined {
    return this.#middleware.get(type);
  }

  declareActor(actor: Actor): void {
    const existing = this.#actors.get(actor.name);
    if (existing !== undefined && existing !== actor) throw new ActorAlreadyDeclaredError(actor.name);
    this.#actors.set(actor.name, actor);
    this.#queues.add(actor.queueName);
  }

  getActor(name: string): Actor {
    const actor = this.#actors.get(name);
    if (actor === undefined) throw new ActorNotFoundError(name);
    return actor;
  }

  async enqueue(message: Message): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('redis');
    const queueName = validateName(message.queueName, 'message.queueName');
    this.#queues.add(queueName);
    const payload = JSON.stringify(message);
    if (message.delay !== undefined && message.delay > 0) {
      await this.#eval(ENQUEUE_DELAYED, [this.delayedKey(queueName)], [message.delay, payload]);
    } else {
      await this.#client.call('XADD', [this.streamKey(queueName), '*', 'message', payload]);
    }
  }

  async receive(options: ReceiveOptions): Promise<Delivery[]> {
    if (this.#closed) throw new BrokerClosedError('redis');
    const { queues, max, consumer, signal } = validateReceiveOptions(options);
    if (signal.aborted) return [];
    for (const queueName of queues) this.#queues.add(queueName);
    await Promise.all(queues.map((queueName) => this.#ensureGroup(queueName)));
    const waits = await Promise.all(
      queues.map((queueName) =>
        this.#eval(PROMOTE_DUE, [this.delayedKey(queueName), this.streamKey(queueName)], [100]),
      ),
    );
    const claimed = await this.#claimIdle(queues, consumer, max);
    if (claimed.length > 0 || signal.aborted) return claimed;
    const nextDue = Math.min(
      ...waits.map((wait) => (typeof wait === 'number' && wait >= 0 ? wait : Number.POSITIVE_INFINITY)),
    );
    const block = Math.max(1, Math.min(this.blockTime, nextDue));
    return this.#read(queues, consumer, max, block, signal);
  }

  /** Message counts of one queue. */
  async stats(queueName: string): Promise<RedisQueueStats> {
    validateName(queueName, 'queueName');
    const key = this.streamKey(queueName);
    const [length, delayed, pending] = await Promise.all([
      this.#client.call('XLEN', [key]),
      this.#client.call('ZCARD', [this.delayedKey(queueName)]),
      this.#client.call('XPENDING', [key, this.group]).catch(() => [0]),
    ]);
    return {
      length: Number(length),
      delayed: Number(delayed),
      pending: Number(Array.isArray(pending) ? pending[0] : 0),
    };
  }

  async join(queueName?: string, options?: JoinOptions): Promise<void> {
    if (queueName !== undefined) validateName(queueName, 'queueName');
    const checked = validateOptions<JoinOptions>(options, { timeout: true });
    const limit =
      checked.timeout === undefined
        ? undefined
        : validateMilliseconds(checked.timeout, 'options.timeout', 0, MAX_TIMER);
    const deadline = limit === undefined ? Number.POSITIVE_INFINITY : Date.now() + limit;
    for (;;) {
      const queues = queueName === undefined ? [...this.#queues] : [queueName];
      const counts = await Promise.all(queues.map((name) => this.stats(name)));
      if (counts.every((count) => count.length === 0 && count.delayed === 0)) return;
      if (Date.now() >= deadline) {
        const error = new Error(`The queues were not empty after ${limit} ms`);
        error.name = 'TimeoutError';
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const reader of this.#readers.values()) reader.connection.disconnect();
    this.#readers.clear();
    this.#held.clear();
    this.#client.off('error', ignore);
    if (this.#ownsClient) await this.#client.quit().catch(ignore);
  }

  #ensureGroup(queueName: string): Promise<void> {
    let created = this.#groups.get(queueName);
    if (created === undefined) {
      created = (
        this.#client.call('XGROUP', [
          'CREATE',
          this.streamKey(queueName),
          this.group,
          '0',
          'MKSTREAM',
        ]) as Promise<unknown>
      ).then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof Error && error.message.includes('BUSYGROUP')) return;
          this.#groups.delete(queueName);
          throw error;
        },
      );
      this.#groups.set(queueName, created);
    }
    return created;
  }

  /** Takes over entries idle for `claimIdleTime` (their worker is presumed dead), at most every half of it. */
  async #claimIdle(queues: readonly string[], consumer: string, max: number): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    const now = Date.now();
    for (const queueName of queues) {
      if (deliveries.length >= max) break;
      if (now - (this.#lastClaim.get(queueName) ?? 0) < this.claimIdleTime / 2) continue;
      this.#lastClaim.set(queueName, now);
      const key = this.streamKey(queueName);
      const reply = await this.#client.call('XAUTOCLAIM', [
        key,
        this.group,
        consumer,
        this.claimIdleTime,
        '0-0',
        'COUNT',
        max - deliveries.length,
      ]);
      const entries = Array.isArray(reply) ? parseEntries(reply[1]) : [];
      if (entries.length === max - deliveries.length) this.#lastClaim.delete(queueName);
      deliveries.push(...(await this.#deliveries(key, consumer, entries)));
    }
    return deliveries;
  }

  /** A blocking XREADGROUP on the consumer's own connection, interrupted when `signal` aborts. */
  async #read(
    queues: readonly string[],
    consumer: string,
    max: number,
    block: number,
    signal: AbortSignal,
  ): Promise<Delivery[]> {
    const reader = this.#reader(consumer, signal);
    // A read abandoned by an earlier caller is unblocked (or ends within blockTime): wait for it.
    while (reader.current !== undefined) await reader.current.catch(ignore);
    if (signal.aborted || this.#closed) return [];
    const keys = queues.map((queueName) => this.streamKey(queueName));
    const read = (async () => {
      try {
        if (reader.clientId === undefined)
          reader.clientId = Number(await reader.connection.call('CLIENT', ['ID']));
        return await reader.connection.call('XREADGROUP', [
          'GROUP',
          this.group,
          consumer,
          'COUNT',
          max,
          'BLOCK',
          block,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        ]);
      } finally {
        reader.current = undefined;
      }
    })();
    reader.current = read;
    let onAbort = (): void => {};
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => {
        resolve(ABORTED);
        if (reader.clientId !== undefined) {
          void this.#client.call('CLIENT', ['UNBLOCK', reader.clientId]).catch(ignore);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    let reply: unknown;
    try {
      reply = await Promise.race([read, aborted]);
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOGROUP')) this.#groups.clear();
      if (this.#closed) return [];
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (reply === ABORTED) {
      // Whatever the read still brings goes back to the queue.
      read
        .then(async (late) => {
          for (const delivery of await this.#fromReply(late, consumer)) await delivery.nack();
        })
        .catch(ignore);
      return [];
    }
    const deliveries = await this.#fromReply(reply, consumer);
    // XREADGROUP COUNT applies per stream: return what exceeds `max` over several queues.
    for (const extra of deliveries.splice(max)) await extra.nack();
    return deliveries;
  }

  async #fromReply(reply: unknown, consumer: string): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const [key, entries] of parseReadReply(reply)) {
      deliveries.push(...(await this.#deliveries(key, consumer, entries)));
    }
    return deliveries;
  }

  /** Turns entries into deliveries; an entry that is not one of our messages is acknowledged and dropped. */
  async #deliveries(key: string, consumer: string, entries: readonly StreamEntry[]): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const entry of entries) {
      const payload = messageField(entry);
      const message = payload === undefined ? undefined : parseMessage(payload);
      if (payload === undefined || message === undefined) {
        await this.#eval(ACK, [key], [this.group, entry.id]).catch(ignore);
        continue;
      }
      deliveries.push(this.#delivery(key, consumer, entry.id, payload, message));
    }
    return deliveries;
  }

  #delivery(key: string, consumer: string, id: string, payload: string, message: Message): Delivery {
    const heldKey = `${key}\n${id}`;
    this.#held.set(heldKey, { key, consumer });
    this.#startHeartbeat();
    let settled: Promise<void> | undefined;
    const settle = (script: string, args: (string | number)[]): Promise<void> => {
      if (settled === undefined) {
        settled = this.#closed
          ? Promise.resolve()
          : this.#eval(script, [key], args).then(
              () => {
                this.#held.delete(heldKey);
              },
              (error: unknown) => {
                // Not settled: stop refreshing it, so that if it is never settled another worker claims it.
                this.#held.delete(heldKey);
                settled = undefined;
                throw error;
              },
            );
      }
      return settled;
    };
    return {
      message,
      ack: () => settle(ACK, [this.group, id]),
      nack: () => settle(REQUEUE, [this.group, id, payload]),
    };
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#closed) return;
    this.#heartbeat = setInterval(() => void this.#beat(), Math.max(10, Math.floor(this.claimIdleTime / 3)));
    this.#heartbeat.unref();
  }

  /** Resets the idle time of every entry this broker's consumers hold, so no one claims them. */
  async #beat(): Promise<void> {
    const byStream = new Map<string, { key: string; consumer: string; ids: string[] }>();
    for (const [heldKey, held] of this.#held) {
      const id = heldKey.slice(held.key.length + 1);
      const group = `${held.key}\n${held.consumer}`;
      const entry = byStream.get(group) ?? { key: held.key, consumer: held.consumer, ids: [] };
      entry.ids.push(id);
      byStream.set(group, entry);
    }
    await Promise.all(
      [...byStream.values()].map(({ key, consumer, ids }) =>
        this.#eval(HEARTBEAT, [key], [this.group, consumer, ...ids]).catch(ignore),
      ),
    );
  }

  #reader(consumer: string, signal: AbortSignal): Reader {
    let reader = this.#readers.get(consumer);
    if (reader === undefined) {
      const connection = this.#client.duplicate();
      connection.on('error', ignore);
      const created: Reader = { connection, clientId: undefined, current: undefined, signal: undefined };
      // A reconnection gets a new client id.
      connection.on('ready', () => {
        created.clientId = undefined;
      });
      this.#readers.set(consumer, created);
      reader = created;
    }
    if (reader.signal !== signal) {
      // A new receive loop for this consumer (a worker): release the connection when it stops.
      reader.signal = signal;
      const owned = reader;
      if (signal.aborted) void this.#release(consumer, owned, signal);
      else
        signal.addEventListener('abort', () => void this.#release(consumer, owned, signal), { once: true });
    }
    return reader;
  }

  /**
   * Closes the connection of a consumer whose receive loop stopped, once its last read settled (a read
   * in progress is unblocked by CLIENT UNBLOCK, or ends within blockTime). Without this, every worker ever
   * started on this broker would keep its connection open until `close()`.
   */
  async #release(consumer: string, reader: Reader, signal: AbortSignal): Promise<void> {
    while (reader.current !== undefined) await reader.current.catch(ignore);
    if (reader.signal !== signal || this.#readers.get(consumer) !== reader) return;
    this.#readers.delete(consumer);
    reader.connection.disconnect();
  }

  #eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.#client.call('EVAL', [script, keys.length, ...keys, ...args]) as Promise<unknown>;
  }
}

const ABORTED = Symbol('aborted');

const ignore = (): void => {};

let ioredis: typeof Redis | undefined;
function loadIoredis(): typeof Redis {
  if (ioredis === undefined) {
    try {
      ioredis = (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
    } catch (error) {
      throw new TypeError('RedisBroker({ url }) needs the ioredis package: npm install ioredis', {
        cause: error,
      });
    }
  }
  return ioredis;
}
