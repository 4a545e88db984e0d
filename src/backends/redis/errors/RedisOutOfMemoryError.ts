/**
 * Redis is out of memory (`maxmemory` reached under `maxmemory-policy noeviction`) and refused to write an
 * abort mark (`OOM` reply, the `cause`): the abort was not written. It may succeed once memory is freed.
 *
 * Fix: raise `maxmemory`, free memory on that server, or keep the marks on a server of their own.
 *
 * @example
 * ```ts
 * import { RedisOutOfMemoryError } from 'rx-abort';
 * const error = new RedisOutOfMemoryError('SET', { cause: new Error("OOM command not allowed when used memory > 'maxmemory'.") });
 * console.log(error.message);
 * ```
 */
export class RedisOutOfMemoryError extends Error {
  /** Always `'RedisOutOfMemoryError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'RedisOutOfMemoryError';
  /** @param command - the refused write; @param options - the server's `OOM` reply as `cause`. */
  constructor(command: string, options: { cause: unknown }) {
    const reply = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `Redis is out of memory and refused ${command} (${reply}): the abort was not written. Raise maxmemory or ` +
        'free memory on the server (marks need maxmemory-policy noeviction and room to be written).',
      options,
    );
  }
}
