import type { Cluster } from 'ioredis';
import { Observable, type Unsubscribable } from 'rxjs';
import { BackendClosedError } from '../../core/errors/BackendClosedError.js';
import type { WatchSink } from '../../core/watchSink.js';
import type { CommandRunner } from './CommandRunner.js';
import type { KeyRead, KeyReader } from './KeyReader.js';
import type { ChannelListener } from './KeyspaceSubscriber.js';
import { isPermissionError, isWrongTypeError } from './replyErrors.js';
import type { RedisClient } from './types.js';

/** What the table needs of a subscriber: channels added and removed (it is the subscriber's listener). */
export interface ChannelSubscriber {
  add(channel: string): void;
  remove(channel: string): void;
}

/** Options of {@link WatchTable}. */
export interface WatchTableOptions<T> {
  /** The user's client, for the reads. */
  readonly client: RedisClient | Cluster;
  /** Whether `client` is a cluster (one GET per key instead of a batch). */
  readonly cluster: boolean;
  /** Bounded commands on `client`. */
  readonly commands: CommandRunner;
  /** Reads a batch of keys in one round trip (not used on a cluster). */
  readonly reader: Pick<KeyReader, 'read'>;
  /** The watched key of an id (as the client names it, without its `keyPrefix`). */
  keyOf(id: string): string;
  /** The keyspace channel of an id's key (the full key name, with the client's `keyPrefix`). */
  channelOf(id: string): string;
  /** The id of a channel that {@link WatchTableOptions.channelOf} made. */
  idOf(channel: string): string;
  /**
   * Turns a stored value into what watchers get; `null` when there is nothing (no key). It may throw for a
   * malformed value: the error is reported and the value ignored, the watch goes on.
   */
  decode(id: string, value: string | null): T | null;
  /**
   * Turns a value published on the channel into what watchers get, or `undefined` when the message is not
   * a well-formed value (then the key is read instead, and what is stored decides).
   */
  decodePublished(id: string, message: string): T | undefined;
  /**
   * What a key of another type (`WRONGTYPE`: someone ran `LPUSH`/`HSET` on it) reads as: for marks, an
   * abort with no details (fail closed); `null` for "nothing there" (outcomes): the key is then ignored,
   * and the `WRONGTYPE` error is reported once per watch of that key (at its first read that finds it), not
   * at every later read (the periodic re-read would repeat it every `notificationCheckInterval`).
   */
  wrongType(id: string): T | null;
  /** The subscriber, created on the first watch. */
  subscriber(): ChannelSubscriber;
  /** Non-fatal errors (a failed read that is retried). */
  report(error: unknown): void;
}

/** A read of a watched key, waiting for the end of the tick. */
interface PendingRead<T> {
  readonly record: WatchRecord<T>;
  /** The one watcher to hand the value to (a late joiner); `undefined`: every watcher. */
  readonly target: WatchSink<T> | undefined;
  readonly attempt: number;
  /** Set when a published value made this read redundant before it was sent. */
  cancelled: boolean;
  /** {@link WatchTable}'s count of published values when the read was sent. */
  sentAt: number;
}

/** The most keys read in one round trip. */
const MAX_READ_BATCH = 1000;

/**
 * One watched key: its channel and its watchers, and nothing per watcher but the sink itself for the first
 * one. The record is also the first watcher's teardown (`unsubscribe()` releases it), so a key with one
 * watcher (a running task) costs this object (4 fields) and its map slots, with no closures and no
 * `Subject`. What is short-lived (a subscription not confirmed yet, a read queued in this tick) is kept in
 * the table's side collections, not in every record.
 */
class WatchRecord<T> implements Unsubscribable {
  readonly table: WatchTable<T>;
  readonly channel: string;
  /** The watcher whose teardown is this record. */
  first: WatchSink<T> | undefined;
  /** Further watchers, each with its own link as teardown. */
  more: WatchLink<T>[] | undefined;

  constructor(table: WatchTable<T>, channel: string, first: WatchSink<T>) {
    this.table = table;
    this.channel = channel;
    this.first = first;
  }

  /** Whether anyone still watches. */
  get watched(): boolean {
    return this.first !== undefined || (this.more !== undefined && this.more.length > 0);
  }

  /** The first watcher leaves. */
  unsubscribe(): void {
    if (this.first === undefined) return;
    this.first = undefined;
    this.table.release(this);
  }

  /** Hands `value` to every watcher (or to `target` alone). */
  deliver(value: T, target: WatchSink<T> | undefined): void {
    if (target !== undefined) {
      if (!target.closed) target.next(value);
      return;
    }
    const { first, more } = this;
    if (more === undefined || more.length === 0) {
      if (first !== undefined && !first.closed) first.next(value);
      return;
    }
    // A watcher may leave (or another join) while it is told: tell the ones present now.
    const sinks = more.map((link) => link.sink);
    if (first !== undefined) sinks.unshift(first);
    for (const sink of sinks) if (!sink.closed) sink.next(value);
  }

  /** Errors every watcher. */
  fail(error: unknown): void {
    const sinks = (this.more ?? []).map((link) => link.sink);
    if (this.first !== undefined) sinks.unshift(this.first);
    for (const sink of sinks) sink.error(error);
  }
}

/** The teardown of a second or later watcher of a key. */
class WatchLink<T> implements Unsubscribable {
  readonly record: WatchRecord<T>;
  readonly sink: WatchSink<T>;

  constructor(record: WatchRecord<T>, sink: WatchSink<T>) {
    this.record = record;
    this.sink = sink;
  }

  unsubscribe(): void {
    const more = this.record.more;
    const index = more === undefined ? -1 : more.indexOf(this);
    if (index < 0 || more === undefined) return;
    more.splice(index, 1);
    this.record.table.release(this.record);
  }
}

/**
 * The watched keys of a {@link RedisBackend}: one compact record per key, found by its keyspace channel
 * (the one map key), shared by all its watchers, with one channel on the subscriber, released with the
 * last watcher. The table is the subscriber's single {@link ChannelListener}.
 *
 * A record reads its key whenever its subscription is confirmed (first, and again after every reconnect)
 * and on every `set` event, so a value written before, during or after the watch is delivered. A value
 * published right behind its `set` (`abort()` does, see `MarkWriter`) is handed on at once and cancels the
 * read that `set` queued in the same tick: one hop instead of two. A published message that does not decode
 * cancels nothing (the key is read), and one without its `set` never arrives here (see
 * {@link ChannelListener.value}), so a stray publish can neither trigger nor suppress an abort.
 *
 * Reads requested in the same tick are sent together (one {@link KeyReader} batch, MGET and EXISTS in a
 * MULTI, per {@link MAX_READ_BATCH} keys; one GET per key on a cluster, whose keys rarely share a slot), so a burst of keyspace events or of
 * confirmed subscriptions costs one socket write instead of one per id (bench/README.md, throughput).
 */
export class WatchTable<T> implements ChannelListener {
  readonly #options: WatchTableOptions<T>;
  readonly #records = new Map<string, WatchRecord<T>>();
  /** Records whose subscription was never confirmed yet (a late joiner of a confirmed one reads for itself). */
  readonly #unconfirmed = new Set<WatchRecord<T>>();
  /** The read for every watcher of a record queued in this tick: a published value cancels it. */
  readonly #queued = new Map<WatchRecord<T>, PendingRead<T>>();
  /** Published values handed on so far: orders them against the reads in flight. */
  #published = 0;
  /**
   * For records that were handed a published value: {@link WatchTable.#published} just after it. A read
   * sent before that may reply with an older value (its reply comes on the command connection, the value
   * on the subscriber connection, so they can cross): it is dropped. Nothing is lost by that: a write after
   * the value sends its own `set` event, behind the value.
   */
  readonly #valueSeen = new Map<WatchRecord<T>, number>();
  /** Reads requested in this tick, sent together at its end. */
  #reads: PendingRead<T>[] = [];
  /** Records whose key was found of another type and reported (weak: nothing kept once a record is gone). */
  readonly #wrongTypeReported = new WeakSet<WatchRecord<T>>();
  #closed = false;

  constructor(options: WatchTableOptions<T>) {
    this.#options = options;
  }

  /** Keys watched right now. */
  get size(): number {
    return this.#records.size;
  }

  /** Observes the values of `id`'s key (see {@link EventBackend.watch}). */
  watch(id: string): Observable<T> {
    return new Observable<T>((subscriber) => this.attach(id, subscriber));
  }

  /**
   * Watches `id`'s key into `sink`.
   * @returns the teardown that releases this watcher (nothing when the table is closed).
   */
  attach(id: string, sink: WatchSink<T>): Unsubscribable | undefined {
    if (this.#closed) {
      sink.error(new BackendClosedError('redis'));
      return undefined;
    }
    const channel = this.#options.channelOf(id);
    const record = this.#records.get(channel);
    if (record === undefined) {
      const created = new WatchRecord(this, channel, sink);
      this.#records.set(channel, created);
      this.#unconfirmed.add(created);
      this.#options.subscriber().add(channel);
      return created;
    }
    let teardown: Unsubscribable = record;
    if (record.first === undefined) record.first = sink;
    else {
      const link = new WatchLink(record, sink);
      if (record.more === undefined) record.more = [link];
      else record.more.push(link);
      teardown = link;
    }
    if (!this.#unconfirmed.has(record)) this.#queueRead(record, sink);
    return teardown;
  }

  /** A watcher left `record`: drop it with its last watcher. @internal */
  release(record: WatchRecord<T>): void {
    if (record.watched || this.#records.get(record.channel) !== record) return;
    this.#records.delete(record.channel);
    this.#unconfirmed.delete(record);
    this.#valueSeen.delete(record);
    this.#cancelQueued(record);
    if (!this.#closed) this.#options.subscriber().remove(record.channel);
  }

  /**
   * Re-reads the key of every watched id whose subscription is confirmed, in the same batches as any
   * read: the periodic safety net for aborts whose event was never published (notifications switched off
   * for a while, a value of another type written under the prefix).
   */
  rereadAll(): void {
    for (const record of this.#records.values()) {
      if (!this.#unconfirmed.has(record)) this.#queueRead(record, undefined);
    }
  }

  /** Errors every watch with `error` and refuses new ones. */
  close(error: unknown): void {
    this.#closed = true;
    const records = [...this.#records.values()];
    this.#records.clear();
    this.#unconfirmed.clear();
    this.#valueSeen.clear();
    for (const record of records) record.fail(error);
  }

  message(channel: string, message: string): void {
    if (message !== 'set') return;
    const record = this.#records.get(channel);
    if (record !== undefined) this.#queueRead(record, undefined);
  }

  value(channel: string, message: string): void {
    const record = this.#records.get(channel);
    if (record === undefined) return;
    const value = this.#options.decodePublished(this.#options.idOf(channel), message);
    // Not a value of ours: the read its `set` queued goes ahead, and what is stored decides.
    if (value === undefined) return;
    // The value is the key's state as of its `set`: the read that `set` queued adds nothing.
    this.#cancelQueued(record);
    this.#valueSeen.set(record, ++this.#published);
    record.deliver(value, undefined);
  }

  subscribed(channel: string): void {
    const record = this.#records.get(channel);
    if (record === undefined) return;
    this.#unconfirmed.delete(record);
    this.#queueRead(record, undefined);
  }

  failed(error: unknown): void {
    const records = [...this.#records.values()];
    this.#records.clear();
    this.#unconfirmed.clear();
    this.#valueSeen.clear();
    const subscriber = this.#options.subscriber();
    for (const record of records) subscriber.remove(record.channel);
    for (const record of records) record.fail(error);
  }

  /** Drops the read queued for every watcher of `record` in this tick, if any. */
  #cancelQueued(record: WatchRecord<T>): void {
    const queued = this.#queued.get(record);
    if (queued === undefined) return;
    queued.cancelled = true;
    this.#queued.delete(record);
  }

  /** Reads the key of a record at the end of the tick and hands a value to `target` (or every watcher). */
  #queueRead(record: WatchRecord<T>, target: WatchSink<T> | undefined, attempt = 0): void {
    if (target === undefined && this.#queued.has(record)) return;
    const read: PendingRead<T> = { record, target, attempt, cancelled: false, sentAt: 0 };
    if (target === undefined) this.#queued.set(record, read);
    this.#reads.push(read);
    if (this.#reads.length > 1) return;
    queueMicrotask(this.#flushReads);
  }

  readonly #flushReads = (): void => {
    const queued = this.#reads;
    this.#reads = [];
    this.#queued.clear();
    const reads = queued.filter((read) => !read.cancelled);
    for (const read of reads) read.sentAt = this.#published;
    if (this.#closed) return;
    for (let start = 0; start < reads.length; start += MAX_READ_BATCH) {
      this.#readBatch(reads.slice(start, start + MAX_READ_BATCH));
    }
  };

  /** Sends one batch of reads and hands each value on; a read that failed is retried on its own. */
  #readBatch(reads: readonly PendingRead<T>[]): void {
    const { client, commands, keyOf, idOf } = this.#options;
    const keys = reads.map(({ record }) => keyOf(idOf(record.channel)));
    const replies: Promise<KeyRead[]> =
      this.#options.cluster || keys.length === 1
        ? Promise.all(
            keys.map((key) =>
              commands
                .run('GET', () => client.get(key))
                .then(
                  (value): KeyRead => [null, value],
                  (error: unknown): KeyRead => [error, null],
                ),
            ),
          )
        : commands
            .run('MULTI/MGET', () => this.#options.reader.read(keys))
            .catch((error: unknown) => keys.map((): KeyRead => [error, null]));
    void replies.then((results) => {
      for (const [index, read] of reads.entries()) {
        const [error, value] = results[index] ?? [null, null];
        if (isWrongTypeError(error)) {
          // A key of another type under the prefix: what it counts as is the decoder's call (fail closed).
          const substitute = this.#options.wrongType(idOf(read.record.channel));
          if (substitute !== null) read.record.deliver(substitute, read.target);
          else if (!this.#wrongTypeReported.has(read.record)) {
            // Nothing there, quietly: said once per watch of the key, not at every periodic re-read.
            this.#wrongTypeReported.add(read.record);
            this.#options.report(error);
          }
          continue;
        }
        if (error !== null) {
          this.#readFailed(read, error);
          continue;
        }
        // A published value came in after this read was sent: the reply may be older than it.
        if ((this.#valueSeen.get(read.record) ?? 0) > read.sentAt) continue;
        const decoded = this.#decode(idOf(read.record.channel), value);
        if (decoded !== null) read.record.deliver(decoded, read.target);
      }
    });
  }

  #decode(id: string, value: string | null): T | null {
    try {
      return this.#options.decode(id, value);
    } catch (error) {
      this.#options.report(error);
      return null;
    }
  }

  #readFailed({ record, target, attempt }: PendingRead<T>, error: unknown): void {
    this.#options.report(error);
    if (this.#records.get(record.channel) !== record || target?.closed === true) return;
    if (isPermissionError(error)) {
      // The watch can never read its key (the ACL lacks +get): say so rather than wait silently.
      this.#records.delete(record.channel);
      this.#unconfirmed.delete(record);
      this.#valueSeen.delete(record);
      this.#options.subscriber().remove(record.channel);
      record.fail(error);
      return;
    }
    if (attempt >= 8) return;
    setTimeout(
      () => {
        if (this.#records.get(record.channel) === record) this.#queueRead(record, target, attempt + 1);
      },
      Math.min(100 * 2 ** attempt, 5000),
    ).unref();
  }
}
