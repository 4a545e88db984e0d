import { execAbortCause, isPermissionError, isWrongTypeError } from './replyErrors.js';
import type { RedisClient } from './types.js';

/** The most keys of another type remembered at once. */
const MAX_REMEMBERED = 1000;

/** One key's read: its error (a `WRONGTYPE` reply, say), or `null` and the value (`null`: no key). */
export type KeyRead = [error: unknown, value: string | null];

/**
 * Reads many string keys of one Redis (not a Cluster: the keys of a batch may span slots) in one round
 * trip, keeping what the library's fail-closed rule needs: a key of another type (someone ran `LPUSH` or
 * `HSET` on it) is told apart from a missing one.
 *
 * ```text
 * MULTI; MGET k1 ... kn; EXISTS k1 ... kn; EXEC
 * ```
 *
 * `MGET` reads a key of another type as nil, like a missing key; `EXISTS` counts the keys that exist, of
 * any type. When the two agree (the usual case) every nil is a missing key. When they do not, the keys
 * that read nil are read again one by one (a `MULTI` of `GET`s), so each key of another type gets its own
 * `WRONGTYPE` error, as a single `GET` would give it. Two commands and one reply per batch instead of a
 * `GET`, a reply and an ioredis `Command` per key: reading 100,000 keys took 40 ms against 420-630 ms for
 * `MULTI`s of `GET`s on this library's benchmark machine (ioredis, loopback).
 *
 * A key found holding another type is remembered and read with a `GET` of its own beside the batch's
 * `MGET` from then on (until it no longer says `WRONGTYPE`), so it does not send every re-read of its batch
 * down the slow path.
 *
 * `MGET` and `EXISTS` need `+mget +exists` under a restricted ACL. Without them the first batch is refused
 * (`NOPERM`; nothing of that `MULTI` ran; `ACL LOG` gets an entry for each refused command, and one more set
 * for each batch already sent in that tick): the reader then reads key by key with `GET`s in a `MULTI`, as
 * the minimal ACL allows, from then on.
 * Internal: `RedisBackend` holds one, shared by its two watch tables.
 */
export class KeyReader {
  readonly #client: RedisClient;
  #bulk = true;
  /**
   * Keys last found holding another type: read with a GET of their own beside the batch's MGET. A key
   * leaves the set when its GET no longer says WRONGTYPE (deleted, or a string again).
   */
  readonly #otherType = new Set<string>();

  /** @param client - the user's client (a single Redis; ioredis `Redis`). */
  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Whether batches are read with `MGET` and `EXISTS` (false once the server refused them). */
  get bulk(): boolean {
    return this.#bulk;
  }

  /**
   * Reads `keys` in one `MULTI`.
   * @param keys - string keys, as the client names them (its `keyPrefix` is added by ioredis).
   * @returns one {@link KeyRead} per key, in order.
   * @throws the server's reply for a refused or failed transaction (a refused `GET` is a `NOPERM` error,
   *   not `EXECABORT`); ioredis's error when the connection fails.
   */
  async read(keys: readonly string[]): Promise<KeyRead[]> {
    if (this.#bulk) {
      try {
        return await this.#readBulk(keys);
      } catch (error) {
        if (!isBulkRefusal(error)) throw error;
        // Nothing of that MULTI ran: read key by key, from now on.
        this.#bulk = false;
      }
    }
    return this.#readEach(keys);
  }

  async #readBulk(keys: readonly string[]): Promise<KeyRead[]> {
    // Keys found holding another type before are read with their own GET in the same MULTI, so one such
    // key does not send its whole batch through the slow path at every re-read.
    const known = keys.flatMap((key, index) => (this.#otherType.has(key) ? [index] : []));
    const multi = this.#client
      .multi()
      .mget(...keys)
      .exists(...keys);
    for (const index of known) multi.get(keys[index] as string);
    const [[readError, values] = [null, []], [countError, count] = [null, 0], ...knownReads] =
      await exec(multi);
    if (readError !== null) throw readError;
    if (countError !== null) throw countError;
    const reads = (values as (string | null)[]).map((value): KeyRead => [null, value ?? null]);
    for (const [n, index] of known.entries()) {
      const [error, value] = knownReads[n] ?? [null, null];
      reads[index] = [error, (value ?? null) as string | null];
      if (!isWrongTypeError(error)) this.#otherType.delete(keys[index] as string);
    }
    // Every key that exists reads as a value or a WRONGTYPE error: then every other nil is a missing key.
    const found = reads.reduce(
      (sum, [error, value]) => (error !== null || value !== null ? sum + 1 : sum),
      0,
    );
    if (found === Number(count)) return reads;
    // Some keys exist that MGET read as nil: they hold another type. Read the nil ones one by one; if that
    // fails, only they carry the error (the values read already stand).
    const unread = reads.flatMap(([error, value], index) =>
      error === null && value === null ? [index] : [],
    );
    let again: KeyRead[];
    try {
      again = await this.#readEach(unread.map((index) => keys[index] as string));
    } catch (error) {
      again = unread.map((): KeyRead => [error, null]);
    }
    for (const [n, index] of unread.entries()) {
      const read = again[n] ?? [null, null];
      reads[index] = read;
      if (!isWrongTypeError(read[0])) continue;
      // Bounded: a flood of such keys (anyone may write under the prefix) costs speed, never memory.
      if (this.#otherType.size >= MAX_REMEMBERED) this.#otherType.clear();
      this.#otherType.add(keys[index] as string);
    }
    return reads;
  }

  async #readEach(keys: readonly string[]): Promise<KeyRead[]> {
    const multi = this.#client.multi();
    for (const key of keys) multi.get(key);
    const results = await exec(multi);
    return results.map(([error, value]): KeyRead => [error, (value ?? null) as string | null]);
  }
}

/** Runs a `MULTI`; a refused command's own error (not `EXECABORT`) when the server aborted it. */
async function exec(multi: ReturnType<RedisClient['multi']>): Promise<Array<[Error | null, unknown]>> {
  let results: Array<[Error | null, unknown]> | null;
  try {
    results = await multi.exec();
  } catch (error) {
    throw execAbortCause(error);
  }
  if (results === null) throw new Error('The MULTI transaction was discarded');
  return results;
}

/** A `NOPERM` reply to `MGET` or `EXISTS` (ioredis names the refused command on the error). */
function isBulkRefusal(error: unknown): boolean {
  const name = (error as { command?: { name?: string } } | null)?.command?.name;
  return isPermissionError(error) && (name === 'mget' || name === 'exists');
}
