import type { Cluster, Redis } from 'ioredis';
import type { AbortEvent } from '../../core/AbortEvent.js';
import type { CommandRunner } from './CommandRunner.js';
import { ReplicationTimeoutError } from './errors/ReplicationTimeoutError.js';
import { encodeMark } from './markValue.js';
import { execAbortCause } from './replyErrors.js';
import { groupBySlot } from './slotGroups.js';
import type { RedisClient } from './types.js';

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
  /** Replicas that must confirm every write (`WAIT`); `0` for none. */
  readonly replicas: number;
  /** Milliseconds `WAIT` may wait. */
  readonly replicaTimeout: number;
}

/** One command's reply in a pipeline. */
type PipelineReply = [error: Error | null, value: unknown];

/**
 * Writes abort marks: `SET key value PX abortTtl`, many ids in one `MULTI` (one per hash slot on Cluster,
 * so never CROSSSLOT). With `replicas: n` each write is followed by `WAIT n replicaTimeout` in the same
 * pipeline, on the same connection: `WAIT` counts the replicas that acknowledged this connection's earlier
 * writes, so the write resolves only once `n` replicas hold it, and rejects with
 * {@link ReplicationTimeoutError} when fewer confirm in time. (`WAIT` inside the `MULTI` would not block,
 * and a `WAIT` sent on another connection would not cover these writes.)
 */
export class MarkWriter {
  readonly #options: MarkWriterOptions;

  constructor(options: MarkWriterOptions) {
    this.#options = options;
  }

  /** Writes the marks of `events` for `abortTtl` ms (and waits for the replicas, when asked to). */
  write(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    const { commands, cluster, replicas } = this.#options;
    if (events.length === 0) return Promise.resolve();
    const name = events.length === 1 ? 'SET' : 'MULTI/SET';
    const groups = cluster ? groupBySlot(events, (id) => this.#options.serverKeyOf(id)) : [events];
    return commands.run(replicas > 0 ? `${name} + WAIT` : name, async () => {
      const acknowledged = await Promise.all(groups.map((group) => this.#writeGroup(group, abortTtl)));
      const fewest = Math.min(...acknowledged);
      if (fewest < replicas)
        throw new ReplicationTimeoutError(replicas, fewest, this.#options.replicaTimeout);
    });
  }

  /** Writes one slot group; resolves how many replicas confirmed it (`Infinity` when none are asked for). */
  async #writeGroup(group: readonly AbortEvent[], abortTtl: number): Promise<number> {
    const { client, keyOf, replicas, replicaTimeout } = this.#options;
    const [first] = group;
    if (replicas === 0) {
      if (group.length === 1 && first !== undefined) {
        await client.set(keyOf(first.id), encodeMark(first), 'PX', abortTtl);
        return Number.POSITIVE_INFINITY;
      }
      const multi = client.multi();
      for (const event of group) multi.set(keyOf(event.id), encodeMark(event), 'PX', abortTtl);
      const results = await multi.exec().catch((error: unknown) => {
        throw execAbortCause(error);
      });
      if (results === null) throw new Error('The MULTI transaction was discarded');
      const failed = results.find(([error]) => error !== null);
      if (failed !== undefined) throw failed[0];
      return Number.POSITIVE_INFINITY;
    }
    // One pipeline: [MULTI,] SET..., [EXEC,] WAIT. On a Cluster it goes to the group's master (keys of one
    // slot), WAIT included. If the connection drops before any reply, ioredis resends it whole.
    const pipeline = (client as Redis).pipeline();
    const transaction = group.length > 1;
    if (transaction) pipeline.call('MULTI');
    for (const event of group) pipeline.set(keyOf(event.id), encodeMark(event), 'PX', abortTtl);
    if (transaction) pipeline.call('EXEC');
    pipeline.wait(replicas, replicaTimeout);
    const replies = ((await pipeline.exec()) ?? []) as PipelineReply[];
    const failed = replies.find(([error]) => error !== null);
    if (failed !== undefined) throw execAbortCause(failed[0]);
    if (transaction) {
      const exec = replies[replies.length - 2]?.[1];
      const inner = Array.isArray(exec) ? exec.find((reply) => reply instanceof Error) : undefined;
      if (inner !== undefined) throw inner;
    }
    return Number(replies[replies.length - 1]?.[1] ?? 0);
  }
}
