/**
 * Redis keyspace notifications for string commands are off and could not be turned on, so aborts could
 * not be delivered: a watch errors with this (and `RedisBackend.ready()` rejects) instead of waiting forever.
 * Its message ends with the fix for the situation found, which is one of:
 *
 * - off, and `configureNotifications: false`: set `notify-keyspace-events K$` on the server, or let the
 *   backend do it;
 * - off, and `CONFIG SET` was refused (the `cause`): set it in the server configuration or the provider's
 *   setting (AWS ElastiCache parameter group, `heroku redis:keyspace-notifications`, Azure/GCP instance
 *   settings);
 * - `CONFIG` is not allowed and the probe key's event did not arrive: ask the administrator to set it (the
 *   backend cannot);
 * - the probe itself was refused (`NOPERM`, the `cause`): grant the user the probe's rules.
 *
 * @example
 * ```ts
 * import { NotificationsDisabledError } from 'rx-abort';
 * const error = new NotificationsDisabledError('notify-keyspace-events is ""');
 * console.log(error.message);
 * ```
 */
export class NotificationsDisabledError extends Error {
  /** Always `'NotificationsDisabledError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'NotificationsDisabledError';
  /**
   * @param detail - what was found.
   * @param options - the underlying cause, if any, and the fix that fits the situation (by default: set
   * `notify-keyspace-events` to include `K$` on the server).
   */
  constructor(detail: string, options?: { cause?: unknown; fix?: string }) {
    const fix = options?.fix ?? NotificationsDisabledError.setOnServer;
    super(
      `Redis keyspace notifications are not enabled (${detail}), so aborts cannot be delivered. ${fix}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
  }

  /** The fix when only the server's configuration can help. */
  static readonly setOnServer =
    'Set notify-keyspace-events to include "K$" in the server configuration (notify-keyspace-events K$ in ' +
    'redis.conf, CONFIG SET notify-keyspace-events K$ as an administrator, an AWS ElastiCache parameter ' +
    "group, heroku redis:keyspace-notifications, or your provider's instance setting).";
}
