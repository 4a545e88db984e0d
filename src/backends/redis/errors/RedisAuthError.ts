/**
 * Redis refused the client's credentials (`WRONGPASS`, `NOAUTH`): the password was rotated, the user was
 * disabled or removed, or the server now requires a password. Retrying with the same credentials cannot
 * help, so the backend does not wait: commands reject with this at once, every watch errors with it (a
 * running task's `abortSignal` aborts with it as its reason), and `ready()` rejects with it. The server's
 * reply is the `cause`.
 *
 * Fix: give the client the current credentials (`redisOptions: { username, password }`, or
 * `redis://user:password@host` in the URL) and restart the process.
 *
 * @example
 * ```ts
 * import { RedisAuthError } from 'rx-abort';
 * const error = new RedisAuthError('the subscriber connection', { cause: new Error('WRONGPASS invalid username-password pair') });
 * console.log(error.message, error.permanent);
 * ```
 */
export class RedisAuthError extends Error {
  /** Always `'RedisAuthError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'RedisAuthError';
  /** It does not heal by retrying: a worker settles the message instead of returning it to the queue. */
  readonly permanent = true;
  /** @param what - the command or connection refused; @param options - the server's reply as `cause`. */
  constructor(what: string, options: { cause: unknown }) {
    super(
      `Redis refused the credentials of ${what} (${describe(options.cause)}): the password or user was changed. ` +
        'Give the client the current credentials (redisOptions username/password, or user:password@ in the URL) ' +
        'and restart; retrying with the same credentials cannot succeed.',
      options,
    );
  }
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));
