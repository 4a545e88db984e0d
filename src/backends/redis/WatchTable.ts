import type { Cluster } from 'ioredis';
import { Observable, Subject, type Subscriber } from 'rxjs';
import type { AbortEvent } from '../../core/AbortEvent.js';
import { BackendClosedError } from '../../core/errors/BackendClosedError.js';
import type { CommandRunner } from './CommandRunner.js';
import type { ChannelHandler } from './KeyspaceSubscriber.js';
import { decodeMark } from './markValue.js';
import { isPermissionError } from './replyErrors.js';
import type { RedisClient } from './types.js';

/** What the table needs of a subscriber: one handler per channel, added and removed. */
export interface ChannelSubscriber {
  add(channel: string, handler: ChannelHandler): void;
  remove(channel: string): void;
}

/** Options of {@link WatchTable}. */
export interface WatchTableOptions {
  /** The user's client, for the reads. */
  readonly client: RedisClient | Cluster;
  /** Whether `client` is a cluster (one GET per key instead of a MULTI). */
  readonly cluster: boolean;
  /** Bounded commands on `client`. */
  readonly commands: CommandRunner;
  /** The mark key of an id. */
  keyOf(id: string): string;
  /** The keyspace channel of a mark key. */
  channelOf(key: string): string;
  /** The subscriber, created on the first watch. */
  subscriber(): ChannelSubscriber;
  /** Non-fatal errors (a failed read that is retried). */
  report(error: unknown): void;
}

interface WatchEntry {
  readonly id: string;
  readonly key: string;
  readonly channel: string;
  readonly subject: Subject<AbortEvent>;
  confirmed: boolean;
}

/** A GET's outcome: its error, or null and the value. */
type ReadReply = [error: unknown, value: string | null];

/** A read of a watched id's mark, waiting for the end of the tick. */
interface PendingRead {
  readonly entry: WatchEntry;
  readonly target: Subject<AbortEvent> | Subscriber<AbortEvent>;
  readonly attempt: number;
}

/** The most keys read in one MULTI. */
const MAX_READ_BATCH = 1000;

/**
 * The watched ids of a {@link RedisBackend}: one entry per id, shared by all its watchers, with one channel
 * on the subscriber, released with the last watcher. An entry reads its key whenever its subscription is
 * confirmed (first, and again after every reconnect) and on every `set` event, so a mark written before,
 * during or after the watch is delivered.
 *
 * Reads requested in the same tick are sent together (one MULTI of GETs per {@link MAX_READ_BATCH} keys;
 * one GET per key on a cluster, whose keys rarely share a slot), so a burst of keyspace events or of
 * confirmed subscriptions costs one socket write instead of one per id (bench/README.md, throughput).
 */
export class WatchTable {
  readonly #options: WatchTableOptions;
  readonly #entries = new Map<string, WatchEntry>();
  /** Reads requested in this tick, sent together at its end. */
  #reads: PendingRead[] = [];
  #closed = false;

  constructor(options: WatchTableOptions) {
    this.#options = options;
  }

  /** Ids watched right now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Observes the marks of `id` (see {@link EventBackend.watch}). */
  watch(id: string): Observable<AbortEvent> {
    return new Observable<AbortEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new BackendClosedError('redis'));
        return;
      }
      let entry = this.#entries.get(id);
      const joined = entry !== undefined;
      if (entry === undefined) {
        const key = this.#options.keyOf(id);
        entry = { id, key, channel: this.#options.channelOf(key), subject: new Subject(), confirmed: false };
        this.#entries.set(id, entry);
      }
      const watched = entry;
      const inner = watched.subject.subscribe(subscriber);
      if (!joined) this.#options.subscriber().add(watched.channel, this.#handlerFor(watched));
      else if (watched.confirmed) this.#refresh(watched, subscriber);
      return () => {
        inner.unsubscribe();
        if (!watched.subject.observed) this.#drop(watched);
      };
    });
  }

  /** Errors every watch with `error` and refuses new ones. */
  close(error: unknown): void {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) entry.subject.error(error);
  }

  #drop(entry: WatchEntry): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    this.#options.subscriber().remove(entry.channel);
  }

  #handlerFor(entry: WatchEntry): ChannelHandler {
    return {
      event: (name: string) => {
        if (name === 'set') this.#refresh(entry, entry.subject);
      },
      subscribed: () => {
        entry.confirmed = true;
        this.#refresh(entry, entry.subject);
      },
      error: (error: unknown) => {
        this.#drop(entry);
        entry.subject.error(error);
      },
    };
  }

  /** Reads the mark of a watched id and hands a live one to `target`; retries a failed read while watched. */
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
    const { client, commands } = this.#options;
    const keys = reads.map(({ entry }) => entry.key);
    const replies: Promise<ReadReply[]> =
      this.#options.cluster || keys.length === 1
        ? Promise.all(
            keys.map((key) =>
              commands
                .run('GET', () => client.get(key))
                .then(
                  (value): ReadReply => [null, value],
                  (error: unknown): ReadReply => [error, null],
                ),
            ),
          )
        : commands
            .run('MULTI/GET', () => this.#getAll(keys))
            .catch((error: unknown) => keys.map((): ReadReply => [error, null]));
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
    this.#options.report(error);
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
    const multi = this.#options.client.multi();
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
}
