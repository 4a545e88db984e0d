import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CommandRunner } from './CommandRunner.js';
import { NotificationsDisabledError } from './errors/NotificationsDisabledError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import type { KeyspaceSubscriber } from './KeyspaceSubscriber.js';
import { keyspaceChannel, probeKey } from './keys.js';
import { mergeNotifyFlags, missingNotifyFlags } from './notifyFlags.js';
import { isPermissionError } from './replyErrors.js';

/** Options of {@link NotificationGuard}. */
export interface NotificationGuardOptions {
  /** Bounded commands on the user's client. */
  readonly commands: CommandRunner;
  /** Whether `CONFIG SET` may add the missing flags. */
  readonly configure: boolean;
  /** Milliseconds to wait for the probe key's event where `CONFIG` is not allowed. */
  readonly probeTimeout: number;
  /** The mark key namespace (probe keys live under it). */
  readonly prefix: string;
  /** The client's db, for the keyspace channel name. */
  readonly db: number;
  /** The client's own ioredis `keyPrefix`, which Redis sees in front of every key. */
  readonly keyPrefix: string;
}

/** The node commands the guard sends: `CONFIG` to read and set, `SET` for the probe. */
export type GuardedNode = Pick<Redis, 'config' | 'set'>;

/**
 * Makes sure keyspace notifications for string commands (`K$`) are on, on one node: reads
 * `notify-keyspace-events` with `CONFIG GET` and, when allowed, merges the missing flags in with `CONFIG
 * SET`; where `CONFIG` is not allowed it writes a probe key and waits for its event. It fails with
 * {@link NotificationsDisabledError} when notifications are off and cannot be turned on.
 *
 * The subscriber runs it after every (re)connect and every `notificationCheckInterval` while something is
 * watched.
 */
export class NotificationGuard {
  readonly #options: NotificationGuardOptions;
  #checked = false;

  constructor(options: NotificationGuardOptions) {
    this.#options = options;
  }

  /**
   * Checks (and, when allowed, enables) keyspace notifications on `node`.
   * @param probeTag - a hash tag that puts the probe key on `node` (cluster), else `''`.
   * @returns true when they were off and this call turned them on.
   */
  async ensure(subscriber: KeyspaceSubscriber, node: GuardedNode, probeTag: string): Promise<boolean> {
    const { commands } = this.#options;
    let current: string | undefined;
    try {
      const reply = await commands.run('CONFIG GET', () => node.config('GET', 'notify-keyspace-events'));
      current = Array.isArray(reply) ? String(reply[1] ?? '') : undefined;
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      // CONFIG is not allowed here (managed Redis, ACL): verify empirically below.
    }
    if (current !== undefined) return this.#configure(node, current);
    return this.#probe(subscriber, node, probeTag);
  }

  async #configure(node: GuardedNode, current: string): Promise<boolean> {
    if (missingNotifyFlags(current) === '') {
      this.#checked = true;
      return false;
    }
    if (!this.#options.configure) {
      throw new NotificationsDisabledError(
        `notify-keyspace-events is "${current}" and configureNotifications is false`,
      );
    }
    try {
      await this.#options.commands.run('CONFIG SET', () =>
        node.config('SET', 'notify-keyspace-events', mergeNotifyFlags(current)),
      );
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      throw new NotificationsDisabledError(`notify-keyspace-events is "${current}" and CONFIG SET failed`, {
        cause: error,
      });
    }
    if (this.#checked) {
      process.emitWarning(
        `Redis keyspace notifications were off (notify-keyspace-events "${current}": switched off, or lost in ` +
          'a server restart); rx-abort turned them back on and re-read every watched key. ' +
          'Keep "K$" in notify-keyspace-events in the server configuration.',
        { code: 'RX_ABORT_NOTIFICATIONS_RESTORED' },
      );
    }
    this.#checked = true;
    return true;
  }

  async #probe(subscriber: KeyspaceSubscriber, node: GuardedNode, probeTag: string): Promise<boolean> {
    const { commands, prefix, db, keyPrefix, probeTimeout } = this.#options;
    const key = probeKey(prefix, `${probeTag}${randomUUID()}`);
    let seen: boolean;
    try {
      seen = await subscriber.probe(
        keyspaceChannel(db, keyPrefix + key),
        () => commands.run('SET', () => node.set(key, '1', 'PX', probeTimeout + 1000)),
        probeTimeout,
      );
    } catch (error) {
      // A refused permission does not heal by retrying: fail every watch (and ready()) instead of waiting.
      if (!isPermissionError(error)) throw error;
      throw new NotificationsDisabledError(
        `CONFIG is not available and the probe could not run (${(error as Error).message}); the Redis user ` +
          `needs +set and +subscribe on ~${keyPrefix + prefix}* and ` +
          `&${keyspaceChannel(db, keyPrefix + prefix)}*`,
        { cause: error },
      );
    }
    if (!seen) {
      throw new NotificationsDisabledError(
        `CONFIG is not available and a probe key's "set" event did not arrive within ${probeTimeout} ms`,
      );
    }
    return false;
  }
}
