import type { Redis } from 'ioredis';
import type { CommandRunner } from './CommandRunner.js';
import { EvictionPolicyError } from './errors/EvictionPolicyError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { nodeName } from './NotificationGuard.js';
import { warnOnce } from './warnOnce.js';

/** Options of {@link EvictionGuard}. */
export interface EvictionGuardOptions {
  /** Bounded commands on the user's client. */
  readonly commands: CommandRunner;
  /** Whether a policy other than `noeviction` is an error ({@link EvictionPolicyError}) rather than a warning. */
  readonly requireNoEviction: boolean;
}

/** The node command the guard sends. */
export type EvictionNode = Pick<Redis, 'config'> & { readonly options?: Redis['options'] };

/**
 * Checks that a node never evicts abort marks: reads `maxmemory-policy` with `CONFIG GET`. Under any policy
 * but `noeviction` keys can be evicted (under `volatile-*` the marks, which carry a TTL, go first), so it
 * emits one process warning `RX_ABORT_EVICTION_RISK` per node and policy, or, with `requireNoEviction`,
 * fails with {@link EvictionPolicyError}. Where `CONFIG` is not allowed it cannot know, and says nothing
 * (the README tells the operator what to set).
 *
 * It runs when the subscriber connects and reconnects, and before the first `abort()` of each connection
 * of the command client.
 */
export class EvictionGuard {
  readonly #options: EvictionGuardOptions;

  constructor(options: EvictionGuardOptions) {
    this.#options = options;
  }

  /**
   * Checks `node`'s `maxmemory-policy`.
   * @throws EvictionPolicyError (as a rejection) with `requireNoEviction` when it is not `noeviction`;
   * RedisUnavailableError when the server does not answer.
   */
  async check(node: EvictionNode): Promise<void> {
    let policy: string | undefined;
    try {
      const reply = await this.#options.commands.run('CONFIG GET', () =>
        node.config('GET', 'maxmemory-policy'),
      );
      policy = Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : undefined;
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      return; // CONFIG is not allowed here: nothing to read.
    }
    if (policy === undefined || policy === 'noeviction') return;
    if (this.#options.requireNoEviction) throw new EvictionPolicyError(policy);
    const where = nodeName(node);
    warnOnce(
      'RX_ABORT_EVICTION_RISK',
      `${where}\n${policy}`,
      `maxmemory-policy is "${policy}" on ${where}: Redis may evict abort marks when memory is full ` +
        `(${policy.startsWith('volatile') ? 'keys with a TTL, such as marks, go first' : 'any key can go'}), ` +
        'and an evicted mark lets an aborted queued task run. Set maxmemory-policy noeviction (CONFIG SET ' +
        "maxmemory-policy noeviction, redis.conf, or your provider's parameter group), or keep the marks on a " +
        'Redis of their own; pass requireNoEviction: true to make this an error.',
    );
  }
}
