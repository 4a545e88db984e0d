import { Cluster, Redis } from 'ioredis';
import { sleep, withTimeout } from '../clock.js';
import { loadLibrary } from '../library.js';
import { countReads, type ReadCounter } from './countReads.js';
import type { WorkerSystem } from './WorkerSystem.js';

/** Where {@link oursSystem} connects. */
export interface OursSystemOptions {
  /** The Redis port on 127.0.0.1 (with `cluster`, any node's). */
  port: number;
  /** The key prefix. */
  prefix: string;
  /**
   * Connect with an ioredis `Cluster`. Its `settled()` then resolves at once: the caller checks the
   * subscriptions on the masters themselves (re-reads are not counted on a cluster). @default false
   */
  cluster?: boolean;
}

/**
 * This library in a worker: `new Abortable({ backend: new RedisBackend({ client }) })`, tasks cut by
 * `abortable.takeUntilAborted(id)` or `abortable.throwOnAbort(id)`.
 * @param options - see {@link OursSystemOptions}.
 * @returns the system, once the subscriber connection is up and notifications are checked.
 */
export async function oursSystem({
  port,
  prefix,
  cluster = false,
}: OursSystemOptions): Promise<WorkerSystem> {
  const { Abortable, RedisBackend } = await loadLibrary();
  const counter: ReadCounter = { reads: 0 };
  const client = cluster
    ? new Cluster([{ host: '127.0.0.1', port }])
    : new Redis({ host: '127.0.0.1', port });
  if (client instanceof Redis) countReads(client, counter);
  const backend = new RedisBackend({ client, prefix });
  const abortable = new Abortable({ backend });
  await backend.ready();
  let errorsSeen = 0;
  const errors = backend.errors$.subscribe(() => {
    errorsSeen++;
  });
  let watchesStarted = 0;
  return {
    name: 'ours',
    get watchedIds() {
      return backend.watchedIds;
    },
    get errorsSeen() {
      return errorsSeen;
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
      if (cluster) return;
      await withTimeout(
        (async () => {
          while (counter.reads < watchesStarted + errorsSeen) await sleep(1);
        })(),
        timeoutMs,
        'waiting for subscriptions and re-reads',
      );
    },
    async close() {
      errors.unsubscribe();
      await abortable.close();
      client.disconnect();
    },
  };
}
