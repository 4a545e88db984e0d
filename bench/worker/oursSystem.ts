import { Redis } from 'ioredis';
import { sleep, withTimeout } from '../clock.js';
import { loadLibrary } from '../library.js';
import { countReads, type ReadCounter } from './countReads.js';
import type { WorkerSystem } from './WorkerSystem.js';

/**
 * This library in a worker: `new Abortable({ backend: new RedisBackend({ client }) })`, tasks cut by
 * `abortable.takeUntilAborted(id)` or `abortable.throwOnAbort(id)`.
 * @param port - the Redis port.
 * @param prefix - the key prefix.
 * @returns the system, once the subscriber connection is up and notifications are checked.
 */
export async function oursSystem(port: number, prefix: string): Promise<WorkerSystem> {
  const { Abortable, RedisBackend } = await loadLibrary();
  const counter: ReadCounter = { reads: 0 };
  const client = new Redis({ host: '127.0.0.1', port });
  countReads(client, counter);
  const backend = new RedisBackend({ client, prefix });
  const abortable = new Abortable({ backend });
  await backend.ready();
  let watchesStarted = 0;
  return {
    name: 'ours',
    get watchedIds() {
      return backend.watchedIds;
    },
    cut(id, style) {
      watchesStarted++;
      return style === 'complete' ? abortable.takeUntilAborted(id) : abortable.throwOnAbort(id);
    },
    watch(id) {
      watchesStarted++;
      return backend.watch(id);
    },
    async settled(timeoutMs) {
      await withTimeout(
        (async () => {
          while (counter.reads < watchesStarted) await sleep(1);
        })(),
        timeoutMs,
        'waiting for subscriptions and re-reads',
      );
    },
    async close() {
      await abortable.close();
      client.disconnect();
    },
  };
}
