import type { Cluster } from 'ioredis';
import type { AbortEvent } from '../../core/AbortEvent.js';
import type { CommandRunner } from './CommandRunner.js';
import { encodeMark } from './markValue.js';
import { isPermissionError } from './replyErrors.js';
import { groupBySlot } from './slotGroups.js';
import type { RedisClient } from './types.js';

/**
 * The most ids an `abort()` call may carry and still publish its marks. A bulk abort is written without
 * publishing: its watchers read the marks in one batched MULTI of GETs per tick, which costs less CPU over
 * all processes than a PUBLISH per id (+15 µs in the client against -6 µs in the worker per abort, in
 * batches of 500: bench/README.md, "One hop and lean watches").
 */
export const MAX_PUBLISHED_BATCH = 16;

/** Options of {@link MarkWriter}. */
export interface MarkWriterOptions {
  /** The user's client. */
  readonly client: RedisClient | Cluster;
  /** Whether `client` is a cluster (one MULTI per hash slot). */
  readonly cluster: boolean;
  /** Bounded commands on `client`. */
  readonly commands: CommandRunner;
  /** The mark key of an id, as the client names it. */
  keyOf(id: string): string;
  /** The full key name of an id (with the client's `keyPrefix`), for slot grouping. */
  fullKeyOf(id: string): string;
  /** The keyspace channel of an id's mark key. */
  channelOf(id: string): string;
}

/**
 * Writes abort marks, and publishes each mark's value on its key's keyspace channel in the same `MULTI`:
 *
 * ```text
 * MULTI; SET <key> <value> PX <abortTtl>; PUBLISH __keyspace@<db>__:<key> <value>; EXEC
 * ```
 *
 * (for calls of up to {@link MAX_PUBLISHED_BATCH} ids; larger ones are written without it).
 * The `SET` makes Redis send the keyspace event `set` on that channel, and the `PUBLISH` right behind it
 * sends the value, so a watcher (already subscribed to that channel, no new subscription) gets the mark
 * in the message and needs no `GET`: one hop instead of two. The keyspace notification stays the source of
 * truth: a mark written by anything else is still seen through its `set` event and read, and every
 * (re)subscribe still reads the key.
 *
 * When the server refuses `PUBLISH` (an ACL without `+publish`), Redis rejects the whole `MULTI` before
 * running any of it (`EXECABORT`), so nothing was written: the writer then writes the same marks without
 * publishing, and never publishes again (two hops, as before). On Cluster the `PUBLISH` runs on the master
 * that owns the key (inside that slot's `MULTI`) and is relayed to every other master; watchers keep one
 * delivery per write (see `WatchTable`).
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

  /** Writes one mark per event, expiring in `abortTtl` ms; resolves once Redis holds them all. */
  write(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const { cluster, commands, fullKeyOf } = this.#options;
    const groups = cluster && events.length > 1 ? groupBySlot(events, fullKeyOf) : [events];
    const publish = events.length <= MAX_PUBLISHED_BATCH;
    const name = events.length === 1 && !(publish && this.#publish) ? 'SET' : 'MULTI/SET';
    return commands.run(name, async () => {
      await Promise.all(groups.map((group) => this.#writeGroup(group, abortTtl, publish)));
    });
  }

  async #writeGroup(group: readonly AbortEvent[], abortTtl: number, publish: boolean): Promise<void> {
    if (publish && this.#publish) {
      try {
        await this.#send(group, abortTtl, true);
        return;
      } catch (error) {
        if (!isPublishRefusal(error)) throw error;
        // Nothing of this MULTI ran: write the marks alone, and from now on only them.
        this.#publish = false;
      }
    }
    await this.#send(group, abortTtl, false);
  }

  async #send(group: readonly AbortEvent[], abortTtl: number, publish: boolean): Promise<void> {
    const { client, keyOf, channelOf } = this.#options;
    const [only] = group;
    if (only !== undefined && group.length === 1 && !publish) {
      await client.set(keyOf(only.id), encodeMark(only), 'PX', abortTtl);
      return;
    }
    const multi = client.multi();
    for (const event of group) {
      const value = encodeMark(event);
      multi.set(keyOf(event.id), value, 'PX', abortTtl);
      if (publish) multi.publish(channelOf(event.id), value);
    }
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await multi.exec();
    } catch (error) {
      // EXECABORT: a command was refused while queueing; its own error says which and why.
      const refused = (error as { previousErrors?: unknown[] }).previousErrors;
      if (refused !== undefined && refused.length > 0) {
        throw refused.find((cause) => !isPublishRefusal(cause)) ?? refused[0];
      }
      throw error;
    }
    if (results === null) throw new Error('The MULTI transaction was discarded');
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }
}

/**
 * A NOPERM reply to the PUBLISH of a mark (ioredis names the refused command on the error): then nothing of
 * its MULTI was written.
 */
const isPublishRefusal = (error: unknown): boolean =>
  isPermissionError(error) && (error as { command?: { name?: string } }).command?.name === 'publish';
