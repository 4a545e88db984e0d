/**
 * Redis keyspace notifications for string commands are off and could not be turned on, so aborts could
 * not be delivered: a watch errors with this (and `RedisBackend.ready()` rejects) instead of waiting forever.
 *
 * Fix: set `notify-keyspace-events` to include `K$` (for example `KE$` or `K$`): `CONFIG SET
 * notify-keyspace-events K$`, `notify-keyspace-events K$` in redis.conf, or your provider's setting
 * (AWS ElastiCache parameter group, `heroku redis:keyspace-notifications`, Azure/GCP instance settings).
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
  /** @param detail - what was found; @param options - the underlying cause, if any. */
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `Redis keyspace notifications are not enabled (${detail}), so aborts cannot be delivered. ` +
        'Set notify-keyspace-events to include "K$" (e.g. CONFIG SET notify-keyspace-events K$, ' +
        "or your managed Redis provider's setting), or allow the backend to set it (configureNotifications: true).",
      options,
    );
  }
}
