import { Redis } from 'ioredis';
import { PollingBackend } from '../baseline/PollingBackend.js';
import { loadLibrary } from '../library.js';
import type { SystemName } from '../protocol.js';

/** What a client process needs from the system under test: send aborts, and make the pre-start check. */
export interface AbortSender {
  /** Aborts one or many task ids (many in one round trip). */
  abort(ids: string | readonly string[]): Promise<void>;
  /** The pre-start check of one id: whether it is aborted. */
  isAborted(id: string): Promise<boolean>;
  /** Closes the connection. */
  close(): Promise<void>;
}

const ABORT_TTL_MS = 90_000;

/**
 * The abort side of a system: this library's `abortable.abort(ids)` and `abortable.aborted(id)`, or the
 * baseline's `notify_many` (RPUSH + PEXPIRE pipeline) and `poll` (LPOP).
 * @param system - which system.
 * @param port - the Redis port.
 * @param prefix - the key prefix.
 * @returns the sender, connected.
 */
export async function abortSender(system: SystemName, port: number, prefix: string): Promise<AbortSender> {
  const client = new Redis({ host: '127.0.0.1', port });
  await client.ping();
  if (system === 'ours') {
    const { Abortable, RedisBackend } = await loadLibrary();
    const abortable = new Abortable({
      backend: new RedisBackend({ client, prefix }),
      abortTtl: ABORT_TTL_MS,
    });
    return {
      abort: (ids) => abortable.abort(ids),
      isAborted: async (id) => (await abortable.aborted(id)) !== null,
      async close() {
        await abortable.close();
        client.disconnect();
      },
    };
  }
  const backend = new PollingBackend(client);
  return {
    abort: (ids) =>
      backend.notifyMany(
        typeof ids === 'string' ? [prefix + ids] : ids.map((id) => prefix + id),
        ABORT_TTL_MS,
      ),
    isAborted: (id) => backend.poll(prefix + id),
    async close() {
      client.disconnect();
    },
  };
}
