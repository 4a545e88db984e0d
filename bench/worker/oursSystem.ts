import { Cluster, Redis } from 'ioredis';
import { now, sleep } from '../clock.js';
import { loadLibrary } from '../library.js';
import { countReads, type ReadCounter } from './countReads.js';
import type { WorkerSystem } from './WorkerSystem.js';

/** After errors, how long no read may move before the re-reads count as done, ms. */
const QUIET_MS = 1000;

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
  const counter: ReadCounter = { reads: 0, inFlight: 0, lastActivityAt: 0 };
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
      if (cluster) return undefined;
      // Every re-read answered. When the library reported errors (a re-read that timed out is retried,
      // while the first may still be answered), also wait until no read has moved for QUIET_MS, and
      // report the last answer's time rather than the end of that wait.
      const deadline = now() + timeoutMs;
      const done = () =>
        counter.reads >= watchesStarted &&
        (errorsSeen === 0 || (counter.inFlight === 0 && now() - counter.lastActivityAt >= QUIET_MS));
      while (!done()) {
        if (now() > deadline) return undefined;
        await sleep(1);
      }
      return counter.lastActivityAt;
    },
    async close() {
      errors.unsubscribe();
      await abortable.close();
      client.disconnect();
    },
  };
}
