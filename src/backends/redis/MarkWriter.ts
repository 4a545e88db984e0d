import type { Cluster, Redis } from 'ioredis';
import type { AbortEvent } from '../../core/AbortEvent.js';
import type { CommandRunner } from './CommandRunner.js';
import { ReplicationTimeoutError } from './errors/ReplicationTimeoutError.js';
import { groupBySlot } from './groupBySlot.js';
import { encodeMark } from './markValue.js';
import { execAbortCause, isPermissionError } from './replyErrors.js';
import type { RedisClient } from './types.js';

/**
 * The most ids an `abort()` call may carry and still publish its marks. A bulk abort is written without
 * publishing: its watchers read the marks in one batched read per tick (`KeyReader`), which costs less CPU over
 * all processes than a PUBLISH per id (+15 µs in the client against -6 µs in the worker per abort, in
 * batches of 500: bench/README.md, "One hop and lean watches").
 */
export const MAX_PUBLISHED_BATCH = 16;

/** Options of {@link MarkWriter}. */
export interface MarkWriterOptions {
  /** The user's client. */
  readonly client: RedisClient | Cluster;
  /** Whether `client` is a Cluster (one write per slot group). */
  readonly cluster: boolean;
  /** Bounded commands on `client`. */
  readonly commands: CommandRunner;
  /** The mark key of an id. */
  keyOf(id: string): string;
  /** The key as Redis sees it (the client's own `keyPrefix` in front), for slot grouping. */
  serverKeyOf(id: string): string;
  /** The keyspace channel of an id's mark key (where its value is published). */
  channelOf(id: string): string;
  /** Replicas that must confirm every write (`WAIT`); `0` for none. */
  readonly replicas: number;
  /** Milliseconds `WAIT` may wait. */
  readonly replicaTimeout: number;
}

/** One command's reply in a pipeline. */
type PipelineReply = [error: Error | null, value: unknown];

/**
 * Writes abort marks: `SET key value PX abortTtl`, many ids in one `MULTI` (one per hash slot on Cluster,
 * so never CROSSSLOT).
 *
 * One hop: for calls of up to {@link MAX_PUBLISHED_BATCH} ids, each mark's value is also published on its
 * key's keyspace channel in the same `MULTI`:
 *
 * ```text
 * MULTI; SET <key> <value> PX <abortTtl>; PUBLISH __keyspace@<db>__:<key> <value>; EXEC
 * ```
 *
 * The `SET` makes Redis send the keyspace event `set` on that channel, and the `PUBLISH` right behind it
 * sends the value, so a watcher (already subscribed to that channel, no new subscription) gets the mark
 * in the message and needs no `GET`. The keyspace notification stays the source of truth: a mark written
 * by anything else is still seen through its `set` event and read, and every (re)subscribe still reads the
 * key. When the server refuses `PUBLISH` (an ACL without `+publish`), Redis rejects the whole `MULTI`
 * before running any of it (`EXECABORT`), so nothing was written: the writer then writes the same marks
 * without publishing, and never publishes again (two hops). On Cluster the `PUBLISH` runs on the master
 * that owns the key (inside that slot's `MULTI`) and is relayed to every other master; watchers keep one
 * delivery per write (see `KeyspaceSubscriber`).
 *
 * With `replicas: n` each write is followed by `WAIT n replicaTimeout` in the same pipeline, on the same
 * connection: `WAIT` counts the replicas that acknowledged this connection's earlier writes, so the write
 * resolves only once `n` replicas hold it, and rejects with {@link ReplicationTimeoutError} when fewer
 * confirm in time. (`WAIT` inside the `MULTI` would not block, and a `WAIT` sent on another connection
 * would not cover these writes.)
 */
export class MarkWriter {
  readonly #options: MarkWriterOptions;
  #publish = true;

  constructor(options: MarkWriterOptions) {
    this.#options = options;
  }

  /** Whether marks are still published with their write (false once the server refused `PUBLISH`). */
  get publishing(): boolean {
    return this.#publish;
  }

  /**
   * Writes the marks of `events` for `abortTtl` ms (and waits for the replicas, when asked to).
   *
   * The write is bounded by `commandTimeout`; with `replicas > 0` the `WAIT` behind it may block for
   * `replicaTimeout` more once the write is answered, so the whole call is bounded by their sum: a
   * `replicaTimeout` longer than `commandTimeout` still ends in {@link ReplicationTimeoutError}, not in
   * `RedisUnavailableError`.
   * @param timeout - the bound of the write itself (what is left of `commandTimeout` after the eviction check).
   */
  write(
    events: readonly AbortEvent[],
    abortTtl: number,
    timeout = this.#options.commands.timeout,
  ): Promise<void> {
    const { commands, cluster, replicas, replicaTimeout } = this.#options;
    if (events.length === 0) return Promise.resolve();
    const publish = events.length <= MAX_PUBLISHED_BATCH;
    const name = events.length === 1 && !(publish && this.#publish) ? 'SET' : 'MULTI/SET';
    const groups = cluster ? groupBySlot(events, (id) => this.#options.serverKeyOf(id)) : [events];
    const write = async (): Promise<void> => {
      const acknowledged = await Promise.all(
        groups.map((group) => this.#writeGroup(group, abortTtl, publish)),
      );
      const fewest = Math.min(...acknowledged);
      if (fewest < replicas) throw new ReplicationTimeoutError(replicas, fewest, replicaTimeout);
    };
    if (replicas === 0) return commands.run(name, write, timeout);
    return commands.run(`${name} + WAIT`, write, timeout + replicaTimeout);
  }

  /** Writes one slot group; resolves how many replicas confirmed it (`Infinity` when none are asked for). */
  async #writeGroup(group: readonly AbortEvent[], abortTtl: number, publish: boolean): Promise<number> {
    if (publish && this.#publish) {
      try {
        return await this.#send(group, abortTtl, true);
      } catch (error) {
        if (!isPublishRefusal(error)) throw error;
        // Nothing of this MULTI ran: write the marks alone, and from now on only them.
        this.#publish = false;
      }
    }
    return this.#send(group, abortTtl, false);
  }

  async #send(group: readonly AbortEvent[], abortTtl: number, publish: boolean): Promise<number> {
    const { client, keyOf, channelOf, replicas, replicaTimeout } = this.#options;
    const [first] = group;
    const transaction = group.length > 1 || publish;
    if (replicas === 0) {
      if (!transaction && first !== undefined) {
        await client.set(keyOf(first.id), encodeMark(first), 'PX', abortTtl);
        return Number.POSITIVE_INFINITY;
      }
      const multi = client.multi();
      for (const event of group) {
        const value = encodeMark(event);
        multi.set(keyOf(event.id), value, 'PX', abortTtl);
        if (publish) multi.publish(channelOf(event.id), value);
      }
      const results = await multi.exec().catch((error: unknown) => {
        throw refusedCause(error);
      });
      if (results === null) throw new Error('The MULTI transaction was discarded');
      const failed = results.find(([error]) => error !== null);
      if (failed !== undefined) throw failed[0];
      return Number.POSITIVE_INFINITY;
    }
    // One pipeline: [MULTI,] SET [PUBLISH]..., [EXEC,] WAIT. On a Cluster it goes to the group's master (keys
    // of one slot), WAIT included. If the connection drops before any reply, ioredis resends it whole.
    const pipeline = (client as Redis).pipeline();
    if (transaction) pipeline.call('MULTI');
    for (const event of group) {
      const value = encodeMark(event);
      pipeline.set(keyOf(event.id), value, 'PX', abortTtl);
      if (publish) pipeline.publish(channelOf(event.id), value);
    }
    if (transaction) pipeline.call('EXEC');
    pipeline.wait(replicas, replicaTimeout);
    const replies = ((await pipeline.exec()) ?? []) as PipelineReply[];
    const refused = replies.map(([error]) => error).filter((error) => error !== null);
    if (refused.length > 0)
      throw (
        refused.find((error) => !isPublishRefusal(error) && !isExecAbort(error)) ??
        refused.find(isPublishRefusal) ??
        execAbortCause(refused[0])
      );
    if (transaction) {
      const exec = replies[replies.length - 2]?.[1];
      const inner = Array.isArray(exec) ? exec.find((reply) => reply instanceof Error) : undefined;
      if (inner !== undefined) throw inner;
    }
    return Number(replies[replies.length - 1]?.[1] ?? 0);
  }
}

/**
 * A NOPERM reply to the PUBLISH of a mark (ioredis names the refused command on the error): then nothing of
 * its MULTI was written.
 */
const isPublishRefusal = (error: unknown): boolean =>
  isPermissionError(error) && (error as { command?: { name?: string } }).command?.name === 'publish';

/** The EXECABORT reply that follows a command refused while queueing. */
const isExecAbort = (error: unknown): boolean => error instanceof Error && /^EXECABORT\b/.test(error.message);

/**
 * The error of an aborted MULTI that says why: a refused command other than the PUBLISH (a refused SET is
 * not healed by dropping the PUBLISH), else the PUBLISH refusal, else what ioredis gave.
 */
function refusedCause(error: unknown): unknown {
  const previous = (error as { previousErrors?: unknown[] } | null)?.previousErrors;
  if (previous === undefined || previous.length === 0) return execAbortCause(error);
  return previous.find((cause) => !isPublishRefusal(cause)) ?? previous[0];
}
