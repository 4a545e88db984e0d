import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CommandRunner } from './CommandRunner.js';
import { NotificationsDisabledError } from './errors/NotificationsDisabledError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import type { KeyspaceSubscriber } from './KeyspaceSubscriber.js';
import { keyspaceChannel, probeKey } from './keys.js';
import { nodeName } from './nodeName.js';
import { mergeNotifyFlags, missingNotifyFlags } from './notifyFlags.js';
import { isPermissionError } from './replyErrors.js';
import { warnOnce } from './warnOnce.js';

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
export type GuardedNode = Pick<Redis, 'config' | 'set'> & { readonly options?: Redis['options'] };

/**
 * Makes sure keyspace notifications for string commands (`K$`) are on, on one node: reads
 * `notify-keyspace-events` with `CONFIG GET` and, when allowed, merges the missing flags in with `CONFIG
 * SET`; where `CONFIG` is not allowed it writes a probe key and waits for its event. It fails with
 * {@link NotificationsDisabledError} when notifications are off and cannot be turned on, its advice fitting
 * what was found.
 *
 * Changing the server's configuration is never silent: the first `CONFIG SET` on a node emits one process
 * warning `RX_ABORT_CONFIG_CHANGED` naming the old and new value; finding them off again later (switched
 * off, or lost in a restart) and turning them back on emits `RX_ABORT_NOTIFICATIONS_RESTORED`, likewise.
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
        {
          fix:
            'Set notify-keyspace-events to include "K$" on the server (notify-keyspace-events K$ in redis.conf, ' +
            "or CONFIG SET notify-keyspace-events K$), or your provider's setting; or drop " +
            'configureNotifications: false to let rx-abort add the flags itself.',
        },
      );
    }
    const next = mergeNotifyFlags(current);
    try {
      await this.#options.commands.run('CONFIG SET', () =>
        node.config('SET', 'notify-keyspace-events', next),
      );
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      throw new NotificationsDisabledError(`notify-keyspace-events is "${current}" and CONFIG SET failed`, {
        cause: error,
        fix:
          'This user may read but not change the setting (or the provider forbids CONFIG SET): set ' +
          'notify-keyspace-events to include "K$" in the server configuration (redis.conf, an AWS ElastiCache ' +
          "parameter group, heroku redis:keyspace-notifications, or your provider's instance setting), and " +
          'pass configureNotifications: false so rx-abort only verifies it.',
      });
    }
    const where = nodeName(node);
    if (this.#checked) {
      process.emitWarning(
        `Redis keyspace notifications were off on ${where} (notify-keyspace-events "${current}": switched off, ` +
          `or lost in a server restart); rx-abort set it back to "${next}" and re-read every watched key. ` +
          'Keep "K$" in notify-keyspace-events in the server configuration.',
        { code: 'RX_ABORT_NOTIFICATIONS_RESTORED' },
      );
    } else {
      warnOnce(
        'RX_ABORT_CONFIG_CHANGED',
        `${where}\n${current}`,
        `rx-abort changed notify-keyspace-events on ${where} from "${current}" to "${next}" (CONFIG SET), so ` +
          'that aborts are delivered. It lasts until the server restarts (rx-abort sets it again on reconnect). ' +
          'Put notify-keyspace-events K$ in the server configuration to keep it, or pass ' +
          'configureNotifications: false so rx-abort never changes it.',
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
        `CONFIG is not available and the probe could not run: ${(error as Error).message}`,
        {
          cause: error,
          fix:
            `Grant the Redis user +set and +subscribe on ~${keyPrefix + prefix}* and ` +
            `&${keyspaceChannel(db, keyPrefix + prefix)}* (or +config|get, to check without a probe).`,
        },
      );
    }
    if (!seen) {
      throw new NotificationsDisabledError(
        `CONFIG is not available and a probe key's "set" event did not arrive within ${probeTimeout} ms`,
        {
          fix:
            'This user may not run CONFIG, so rx-abort can neither check nor set it: ask the administrator to ' +
            'set notify-keyspace-events to include "K$" (redis.conf, an AWS ElastiCache parameter group, heroku ' +
            "redis:keyspace-notifications, or your provider's instance setting). With a database other than 0, " +
            'the user also needs +select.',
        },
      );
    }
    return false;
  }
}
