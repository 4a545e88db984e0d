/** The commands a {@link ChannelRegistry} asks its connection to send. */
export interface ChannelCommands {
  /** Channels to `UNSUBSCRIBE` (sent first). */
  readonly unsubscribe: readonly string[];
  /** Channels to `SUBSCRIBE`. */
  readonly subscribe: readonly string[];
}

/**
 * The subscription bookkeeping of one subscriber connection, free of I/O (after node-redis's `PubSub`):
 * it records which channels are wanted and returns the commands to send, batched, instead of sending them.
 *
 * A channel added and removed before a flush costs nothing; one removed and re-added before a flush stays
 * subscribed. After a reconnect, {@link ChannelRegistry.resubscribe} lists every wanted channel.
 */
export class ChannelRegistry {
  readonly #wanted = new Set<string>();
  readonly #toSubscribe = new Set<string>();
  readonly #toUnsubscribe = new Set<string>();

  /** Channels wanted now. */
  get size(): number {
    return this.#wanted.size;
  }

  /** Whether `channel` is wanted. */
  has(channel: string): boolean {
    return this.#wanted.has(channel);
  }

  /** Every wanted channel. */
  channels(): string[] {
    return [...this.#wanted];
  }

  /** Whether `channel` waits for a `SUBSCRIBE` that the next flush sends. */
  pendingSubscribe(channel: string): boolean {
    return this.#toSubscribe.has(channel);
  }

  /** Whether a flush would send anything. */
  get dirty(): boolean {
    return this.#toSubscribe.size > 0 || this.#toUnsubscribe.size > 0;
  }

  /** Wants `channel`. @returns false when it was wanted already. */
  add(channel: string): boolean {
    if (this.#wanted.has(channel)) return false;
    this.#wanted.add(channel);
    if (!this.#toUnsubscribe.delete(channel)) this.#toSubscribe.add(channel);
    return true;
  }

  /** Stops wanting `channel`. @returns false when it was not wanted. */
  remove(channel: string): boolean {
    if (!this.#wanted.delete(channel)) return false;
    if (!this.#toSubscribe.delete(channel)) this.#toUnsubscribe.add(channel);
    return true;
  }

  /** The commands that bring the connection in line with what is wanted; clears the pending changes. */
  flush(): ChannelCommands {
    const commands = { unsubscribe: [...this.#toUnsubscribe], subscribe: [...this.#toSubscribe] };
    this.#toUnsubscribe.clear();
    this.#toSubscribe.clear();
    return commands;
  }

  /** After a reconnect (the server holds nothing): subscribe every wanted channel; clears the pending changes. */
  resubscribe(): ChannelCommands {
    this.#toUnsubscribe.clear();
    this.#toSubscribe.clear();
    return { unsubscribe: [], subscribe: [...this.#wanted] };
  }
}
