import type { Cluster, Redis } from 'ioredis';
import type { CommandRunner } from './CommandRunner.js';
import { EvictionPolicyError } from './errors/EvictionPolicyError.js';
import { RedisUnavailableError } from './errors/RedisUnavailableError.js';
import { isCluster } from './isCluster.js';
import { nodeName } from './nodeName.js';
import type { RedisClient } from './types.js';
import { warnOnce } from './warnOnce.js';

/** Options of {@link EvictionGuard}. */
export interface EvictionGuardOptions {
  /** Bounded commands on the user's client. */
  readonly commands: CommandRunner;
  /** Whether a policy other than `noeviction` is an error ({@link EvictionPolicyError}) rather than a warning. */
  readonly requireNoEviction: boolean;
  /** The user's command client: its master(s) are checked before writes and whenever it (re)connects. */
  readonly client: RedisClient | Cluster;
  /** Where a failed check of the command client goes when nothing waits for it (without `requireNoEviction`). */
  report(error: unknown): void;
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
 * It runs when the subscriber connects and reconnects ({@link EvictionGuard.check}), and for the command
 * client ({@link EvictionGuard.guardWrite}): when it connects and reconnects (its `ready` event), and when a
 * write finds it not ready. There is one check of the command client in flight at a time, shared by every
 * write that waits for it: a burst of aborts during an outage sends one `CONFIG GET` once the client is
 * back, and a check that fails is reported once (without `requireNoEviction`), not once per abort.
 *
 * ```text
 * client   --x- - - - - ready------------
 * aborts      a  b  c
 * check       [=========]                 one CONFIG GET, sent at ready, shared by a, b and c
 * ```
 */
export class EvictionGuard {
  readonly #options: EvictionGuardOptions;
  /** The command client's latest check: in flight, or passed on the current connection. */
  #clientCheck: Promise<void> | undefined;
  #inFlight = false;

  constructor(options: EvictionGuardOptions) {
    this.#options = options;
    options.client.on('ready', this.#onClientReady);
  }

  /**
   * Runs `write` with the check of the command client: after it with `requireNoEviction` (a failed check
   * rejects and nothing is written), else beside it (its warning or failure goes to the process warnings or
   * `report`). The check and the write together are bounded by `commandTimeout`: `write` gets what is
   * left of it after the check.
   * @param write - the write, given its own bound in milliseconds.
   * @throws EvictionPolicyError (as a rejection) with `requireNoEviction` when the policy may evict;
   *   RedisUnavailableError when the check or the write has no answer in time.
   */
  guardWrite(write: (timeout: number) => Promise<void>): Promise<void> {
    const { commands, requireNoEviction } = this.#options;
    const checked = this.#checkClient();
    if (!requireNoEviction) return write(commands.timeout);
    const started = Date.now();
    return checked.then(() => write(Math.max(1, commands.timeout - (Date.now() - started))));
  }

  /** Stops following the command client's reconnects. */
  close(): void {
    this.#options.client.off('ready', this.#onClientReady);
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

  /**
   * The check a write goes with: the one in flight, else the one that passed on this connection, else a
   * new one (the first write, a write that finds the client disconnected, after a failed check).
   */
  #checkClient(): Promise<void> {
    const current = this.#clientCheck;
    if (current !== undefined && (this.#inFlight || this.#options.client.status === 'ready')) return current;
    return this.#startClientCheck();
  }

  /** The client (re)connected: its server may have restarted with another policy, so check again. */
  readonly #onClientReady = (): void => {
    if (!this.#inFlight) this.#startClientCheck();
  };

  #startClientCheck(): Promise<void> {
    const { client, requireNoEviction, report } = this.#options;
    const nodes: EvictionNode[] = isCluster(client) ? client.nodes('master') : [client];
    const checked = Promise.all(nodes.map((node) => this.check(node))).then(() => undefined);
    this.#clientCheck = checked;
    this.#inFlight = true;
    checked.then(
      () => {
        if (this.#clientCheck === checked) this.#inFlight = false;
      },
      (error: unknown) => {
        if (this.#clientCheck !== checked) return;
        // The next write checks again; what waited for this one rejects with its error.
        this.#inFlight = false;
        this.#clientCheck = undefined;
        if (!requireNoEviction) report(error);
      },
    );
    return checked;
  }
}
