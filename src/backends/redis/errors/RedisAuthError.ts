/**
 * Redis refused the client's credentials: `WRONGPASS` (a wrong user name or password, a disabled or removed
 * user, a password rotated while the process ran) or `NOAUTH` (the server requires a password and the client
 * gave none). Retrying with the same credentials cannot help, so the backend does not wait: commands reject
 * with this at once, every watch errors with it (a running task's `abortSignal` aborts with it as its
 * reason), and `ready()` rejects with it. The server's reply is the `cause`, and the message's advice fits
 * it.
 *
 * Fix: give the client the right credentials (`redis://user:password@host` in the URL, or `redisOptions:
 * { username, password }`); if they were rotated, restart the process with the current ones.
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
    const reply = describe(options.cause);
    super(
      /^NOAUTH\b/.test(reply)
        ? `Redis requires a password for ${what} (${reply}), and the client gave none. Give it the ` +
            'credentials (user:password@ in the URL, or redisOptions username/password); retrying without ' +
            'them cannot succeed.'
        : `Redis refused the credentials of ${what} (${reply}). Check the user name and password ` +
            '(user:password@ in the URL, or redisOptions username/password) and that the user is enabled; if ' +
            'they were rotated, restart with the current ones. Retrying with the same credentials cannot succeed.',
      options,
    );
  }
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));
