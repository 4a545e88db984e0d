/**
 * A Redis command could not be completed in time (the server was unreachable or did not answer within
 * `commandTimeout`), or a connection ended for good (the client's `retryStrategy` stopped reconnecting).
 * The connection error, when there was one, is the `cause`.
 *
 * @example
 * ```ts
 * import { RedisUnavailableError } from 'rx-abort';
 * const error = new RedisUnavailableError('SET', 5000, { cause: new Error('ECONNREFUSED') });
 * console.log(error.message, error.cause);
 * ```
 */
export class RedisUnavailableError extends Error {
  /** Always `'RedisUnavailableError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'RedisUnavailableError';
  /**
   * @param command - what was attempted.
   * @param timeout - how long it waited, in milliseconds; `undefined` when its connection ended for good
   *   (waiting longer cannot help).
   */
  constructor(command: string, timeout: number | undefined, options?: { cause?: unknown }) {
    super(
      timeout === undefined
        ? `Redis was unreachable: ${command} ended and will not reconnect`
        : `Redis was unreachable: ${command} did not complete within ${timeout} ms`,
      options,
    );
  }
}
