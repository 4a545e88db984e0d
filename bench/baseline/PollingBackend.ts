import type { Redis } from 'ioredis';

/** The commands {@link PollingBackend} sends. */
export type PollingClient = Pick<Redis, 'pipeline' | 'lpop' | 'blpop'>;

/**
 * A port of dramatiq-abort's `RedisBackend` (`dramatiq_abort/backends/redis.py`), the upstream design this
 * benchmark compares against. An abort is a list with one element: `notify` pushes `'x'` onto the key and
 * gives it a TTL; a watcher finds it with a blocking `BLPOP` over the keys of the tasks it runs; the
 * pre-start check pops it with `LPOP`.
 *
 * @example
 * ```ts
 * const backend = new PollingBackend(new Redis(6379));
 * await backend.notifyMany(['abort:job-1'], 90_000);
 * ```
 */
export class PollingBackend {
  readonly #client: PollingClient;

  /** @param client - an ioredis connection; give `waitMany` a dedicated one, since BLPOP blocks it. */
  constructor(client: PollingClient) {
    this.#client = client;
  }

  /**
   * `notify_many`: one pipeline of `RPUSH key 'x'` + `PEXPIRE key ttl` per key.
   * @param keys - the abort keys.
   * @param ttlMs - how long the abort lives.
   */
  async notifyMany(keys: readonly string[], ttlMs: number): Promise<void> {
    const pipeline = this.#client.pipeline();
    for (const key of keys) pipeline.rpush(key, 'x').pexpire(key, ttlMs);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }

  /**
   * `poll`: the pre-start check, `LPOP key` (it consumes the abort).
   * @returns whether the key held an abort.
   */
  async poll(key: string): Promise<boolean> {
    return (await this.#client.lpop(key)) === 'x';
  }

  /**
   * `wait_many`: `BLPOP k1 k2 ... timeout` with the timeout in whole seconds, as redis-py sends it.
   * @param keys - the keys to wait on (non-empty).
   * @param timeoutMs - at least 1000.
   * @returns the key that popped an abort, or null when the timeout passed.
   */
  async waitMany(keys: readonly string[], timeoutMs: number): Promise<string | null> {
    const reply = await this.#client.blpop(...keys, Math.floor(timeoutMs / 1000));
    if (reply === null) return null;
    const [key, value] = reply;
    return value === 'x' ? key : null;
  }
}
