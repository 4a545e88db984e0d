/**
 * The server may evict abort marks: its `maxmemory-policy` is not `noeviction`, and the backend was created
 * with `requireNoEviction: true`. Under `volatile-*` policies marks (keys with a TTL) are the first keys
 * Redis evicts, under `allkeys-*` they can be evicted too; an evicted mark lets an aborted queued task run.
 * `ready()`, `abort()` and every watch reject with this.
 *
 * Fix: `CONFIG SET maxmemory-policy noeviction` (or `maxmemory-policy noeviction` in redis.conf, or your
 * provider's parameter group), or keep the marks on a server of their own that never evicts.
 *
 * @example
 * ```ts
 * import { EvictionPolicyError } from 'rx-abort';
 * console.log(new EvictionPolicyError('allkeys-lru').message);
 * ```
 */
export class EvictionPolicyError extends Error {
  /** Always `'EvictionPolicyError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'EvictionPolicyError';
  /** It does not heal by retrying: a worker settles the message instead of returning it to the queue. */
  readonly permanent = true;
  /** The server's `maxmemory-policy`. */
  readonly policy: string;
  /** @param policy - the server's `maxmemory-policy`. */
  constructor(policy: string) {
    super(
      `maxmemory-policy is "${policy}", so Redis may evict abort marks (an evicted mark lets an aborted task ` +
        'run), and requireNoEviction is true. Set maxmemory-policy noeviction (CONFIG SET maxmemory-policy ' +
        "noeviction, redis.conf, or your provider's parameter group), or keep the marks on a Redis of their own.",
    );
    this.policy = policy;
  }
}
