/**
 * The Redis user may not run a command the backend needs (`NOPERM`): its ACL lacks the command, the key
 * pattern (`~<prefix>*`) or the keyspace channel pattern (`&__keyspace@<db>__:<prefix>*`). It does not heal
 * by retrying, so the backend does not retry: the command rejects with this, every watch that needs the
 * refused permission errors with it, and `ready()` rejects with it. The server's reply is the `cause`.
 *
 * Fix: grant the rules of the README's "A least-privilege Redis user" (`ACL SETUSER ...`).
 *
 * @example
 * ```ts
 * import { RedisPermissionError } from 'rx-abort';
 * const error = new RedisPermissionError('SUBSCRIBE', { cause: new Error('NOPERM this user has no permissions to access one of the channels used as arguments') });
 * console.log(error.message, error.permanent);
 * ```
 */
export class RedisPermissionError extends Error {
  /** Always `'RedisPermissionError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'RedisPermissionError';
  /** It does not heal by retrying: a worker settles the message instead of returning it to the queue. */
  readonly permanent = true;
  /** The refused command. */
  readonly command: string;
  /** @param command - the refused command; @param options - the server's reply as `cause`. */
  constructor(command: string, options: { cause: unknown }) {
    const reply = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `Redis refused ${command} (${reply}): the Redis user lacks a permission rx-abort needs. Grant the rules ` +
        'of the README\'s "A least-privilege Redis user" (keys ~<prefix>*, channels &__keyspace@<db>__:<prefix>*, ' +
        '+get +set +multi +exec +subscribe +unsubscribe); retrying cannot succeed.',
      options,
    );
    this.command = command;
  }
}
