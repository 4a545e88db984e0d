import { RedisAuthError } from './errors/RedisAuthError.js';
import { RedisOutOfMemoryError } from './errors/RedisOutOfMemoryError.js';
import { RedisPermissionError } from './errors/RedisPermissionError.js';

/** An error reply from the server (NOPERM, WRONGTYPE, ...) as opposed to a connection failure. */
export const isReplyError = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ReplyError';

const replyStarts = (error: unknown, pattern: RegExp): boolean =>
  isReplyError(error) && pattern.test((error as Error).message);

/** A command refused by the server's ACL: permanent until an administrator changes the user. */
export const isPermissionError = (error: unknown): boolean =>
  error instanceof RedisPermissionError || replyStarts(error, /^NOPERM\b/);

/** Credentials refused (`WRONGPASS`, `NOAUTH`): permanent until the client gets the new ones. */
export const isAuthError = (error: unknown): boolean =>
  error instanceof RedisAuthError || replyStarts(error, /^(WRONGPASS|NOAUTH)\b/);

/** A key of another type than string (someone ran `LPUSH`/`HSET` on a mark key). */
export const isWrongTypeError = (error: unknown): boolean => replyStarts(error, /^WRONGTYPE\b/);

/** The server is out of memory under `noeviction` (`OOM ...`). */
export const isOutOfMemoryError = (error: unknown): boolean =>
  error instanceof RedisOutOfMemoryError || replyStarts(error, /^OOM\b/);

/**
 * Turns an error reply into the named error of the fault it reports ({@link RedisPermissionError},
 * {@link RedisAuthError}, {@link RedisOutOfMemoryError}), the reply as its `cause`; other replies
 * (WRONGTYPE included, which the reads turn into an abort) are returned as they are.
 */
export function namedReplyError(command: string, error: unknown): unknown {
  if (error instanceof RedisPermissionError || error instanceof RedisAuthError) return error;
  if (error instanceof RedisOutOfMemoryError) return error;
  if (replyStarts(error, /^NOPERM\b/)) return new RedisPermissionError(command, { cause: error });
  if (replyStarts(error, /^(WRONGPASS|NOAUTH)\b/)) return new RedisAuthError(command, { cause: error });
  if (replyStarts(error, /^OOM\b/)) return new RedisOutOfMemoryError(command, { cause: error });
  return error;
}

/** The first queued command's error of a MULTI that Redis refused at EXEC (EXECABORT), else `error`. */
export const execAbortCause = (error: unknown): unknown =>
  (error as { previousErrors?: unknown[] } | null)?.previousErrors?.[0] ?? error;
