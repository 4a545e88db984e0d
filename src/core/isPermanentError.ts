/**
 * Whether a failure can never heal by retrying: the error, or an error in its `cause` chain, carries
 * `permanent: true`. Backends mark faults this way that only an operator can fix (the Redis backend's
 * `RedisPermissionError`, `RedisAuthError` and `EvictionPolicyError`), so a worker settles the message
 * instead of returning it to the queue forever.
 *
 * @example
 * ```ts
 * import { isPermanentError } from 'rx-abort';
 * console.log(isPermanentError(Object.assign(new Error('NOPERM'), { permanent: true }))); // true
 * console.log(isPermanentError(new Error('ECONNREFUSED'))); // false
 * ```
 * @param error - any thrown value.
 * @returns true when it or one of its causes is marked permanent.
 */
export function isPermanentError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== null && typeof current === 'object'; ) {
    if (seen.has(current)) return false;
    seen.add(current);
    if ((current as { permanent?: unknown }).permanent === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
