import { Redis } from 'ioredis';
import { mergeMap, takeUntil, throwError } from 'rxjs';
import { PollingBackend } from '../baseline/PollingBackend.js';
import { PollingWatcher } from '../baseline/PollingWatcher.js';
import { now, withTimeout } from '../clock.js';
import type { WorkerSystem } from './WorkerSystem.js';

/**
 * The dramatiq-abort design in a worker: a {@link PollingWatcher} on a dedicated blocking connection; a
 * task is cut when its key pops in the watcher's BLPOP.
 * @param port - the Redis port.
 * @param prefix - the key prefix (dramatiq-abort uses `abort:`).
 * @returns the system, with its watcher loop running.
 */
export async function baselineSystem(port: number, prefix: string): Promise<WorkerSystem> {
  const blocking = new Redis({ host: '127.0.0.1', port });
  await blocking.ping();
  const watcher = new PollingWatcher({ backend: new PollingBackend(blocking), prefix });
  watcher.start();
  return {
    name: 'baseline',
    get watchedIds() {
      return watcher.watchedIds;
    },
    errorsSeen: 0,
    cut(id, style) {
      const abort$ = watcher.abort$(id);
      return style === 'complete'
        ? takeUntil(abort$)
        : takeUntil(abort$.pipe(mergeMap(() => throwError(() => new Error(`Task ${id} was aborted`)))));
    },
    watch(id) {
      return watcher.abort$(id);
    },
    async settled(timeoutMs) {
      await withTimeout(
        (async () => {
          while ((await watcher.nextPass()) < watcher.watchedIds) {
            // a pass started before the last task was added: wait for the next one
          }
        })(),
        timeoutMs,
        'waiting for a BLPOP pass over every key',
      );
      return now();
    },
    async close() {
      const closed = watcher.close();
      blocking.disconnect();
      await closed;
    },
  };
}
