import { mergeNotifyFlags } from '../backends/redis/notifyFlags.js';

const URL_FORM = 'redis://<user>:<password>@<host>:<port>';

/**
 * A failed command's error for a shell user: the message, then each cause the message does not already
 * name, with advice that fits the command line. The library's advice names its options (`redisOptions`,
 * `configureNotifications`), which a command-line user does not have: refused credentials point at `--url`,
 * and notifications that are off at `rx-abort doctor --fix` and the `CONFIG SET` that does the same.
 * @param error - what the command failed with.
 * @param connectionError - the client's last connection error, if any (the cause of a timeout).
 */
export function describeError(error: unknown, connectionError: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const reply = error.cause instanceof Error ? error.cause.message : undefined;
  if (error.name === 'RedisAuthError' && reply !== undefined) {
    return /^NOAUTH\b/.test(reply)
      ? `Redis requires a password (${reply})\n  fix: give the user and password in --url or REDIS_URL: ${URL_FORM}`
      : `Redis refused the credentials (${reply})\n  fix: check the user and password in --url or REDIS_URL ` +
          `(${URL_FORM}), and that the user is enabled`;
  }
  if (error.name === 'NotificationsDisabledError') {
    // Found with CONFIG GET: the command line never changes it by itself, but doctor --fix does.
    const current = /notify-keyspace-events is "([^"]*)"/.exec(error.message)?.[1];
    if (current !== undefined) {
      const flags = mergeNotifyFlags(current);
      return (
        `Redis keyspace notifications are off (notify-keyspace-events is "${current}"), so no abort would reach a watch\n` +
        `  fix: rx-abort doctor --fix (sets notify-keyspace-events ${flags}), or CONFIG SET notify-keyspace-events ${flags}; ` +
        `keep it with notify-keyspace-events ${flags} in redis.conf (or your provider's setting)`
      );
    }
    // CONFIG is not allowed for this user: the library's advice (ask the administrator, or the ACL rules) fits.
    return `${error.message}\n  rx-abort doctor shows what else is missing`;
  }
  const causes = [error.cause, connectionError]
    .filter((cause): cause is Error => cause instanceof Error)
    // The command line's own maxRetriesPerRequest setting, not something a user can act on.
    .filter((cause) => cause.name !== 'MaxRetriesPerRequestError')
    .map((cause) => cause.message)
    .filter((message) => !error.message.includes(message));
  return causes.length === 0 ? error.message : `${error.message} (cause: ${[...new Set(causes)].join('; ')})`;
}
