import type { ClientApi } from '../client/client.js';
import type { SystemName } from '../protocol.js';
import { RedisInfo } from '../redisInfo.js';
import { type BenchRedis, startBenchRedis } from '../redisServer.js';
import { type ChildHandle, startChild } from '../startChild.js';
import type { WorkerApi } from '../worker/worker.js';

/** A fresh Redis with worker and client processes, for one measurement. */
export interface Rig {
  readonly system: SystemName;
  readonly redis: BenchRedis;
  /** Admin connection for INFO. */
  readonly info: RedisInfo;
  readonly workers: ChildHandle<WorkerApi>[];
  readonly client: ChildHandle<ClientApi> | undefined;
  /** Key prefix used by every process. */
  readonly prefix: string;
  /** Closes the processes (letting them exit normally) and stops Redis. */
  stop(): Promise<void>;
}

/** Options of {@link startRig}. */
export interface RigOptions {
  system: SystemName;
  /** Worker processes. @default 1 */
  workers?: number;
  /** Whether to start a client process. @default true */
  client?: boolean;
  /** Workers send a teardown event per aborted task. @default false */
  reportEach?: boolean;
  /** Extra Node flags for the workers (e.g. `--cpu-prof`). @default [] */
  workerFlags?: string[];
}

/**
 * Starts a fresh redis-server (keyspace notifications `K$` for this library, off for the baseline, as
 * each would be deployed), then the worker and client processes, connected and initialised.
 *
 * @example
 * ```ts
 * const rig = await startRig({ system: 'ours', workers: 2 });
 * try { ... } finally { await rig.stop(); }
 * ```
 * @param options - see {@link RigOptions}.
 * @returns the rig; stop it when done (cleanup also stops it on Ctrl-C).
 */
export async function startRig(options: RigOptions): Promise<Rig> {
  const { system } = options;
  const redis = await startBenchRedis({ notifyKeyspaceEvents: system === 'ours' ? 'K$' : '' });
  const info = new RedisInfo(redis.port);
  const prefix = system === 'ours' ? 'rx-abort:' : 'abort:';
  const workers: ChildHandle<WorkerApi>[] = [];
  let client: ChildHandle<ClientApi> | undefined;
  const stop = async (): Promise<void> => {
    const closing: Promise<unknown>[] = workers.map((worker) => worker.call('close', undefined, 5000));
    if (client !== undefined) closing.push(client.call('close', undefined, 5000));
    await Promise.allSettled(closing);
    await Promise.all([...workers.map((worker) => worker.stop()), client?.stop()]);
    info.close();
    await redis.stop();
  };
  try {
    for (let i = 1; i <= (options.workers ?? 1); i++) {
      const worker = await startChild<WorkerApi>('worker/worker.ts', {
        name: `${system}-worker-${i}`,
        nodeFlags: options.workerFlags ?? [],
      });
      workers.push(worker);
      await worker.call('init', {
        system,
        port: redis.port,
        prefix,
        idPrefix: `w${i}-`,
        reportEach: options.reportEach ?? false,
      });
    }
    if (options.client ?? true) {
      client = await startChild<ClientApi>('client/client.ts', { name: `${system}-client` });
      await client.call('init', { system, port: redis.port, prefix });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { system, redis, info, workers, client, prefix, stop };
}
