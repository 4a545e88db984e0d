import { startRedisServer } from '../test/support/redisServer.js';
import { onCleanup, trackPid } from './cleanup.js';

/** A `redis-server` the benchmark started on a loopback port of its own. */
export interface BenchRedis {
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGKILL: nothing is persisted) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startBenchRedis}. */
export interface StartBenchRedisOptions {
  /** `notify-keyspace-events` at start-up. @default '' (off, Redis's default) */
  notifyKeyspaceEvents?: string;
}

/**
 * Starts a `redis-server` from PATH on a free loopback port, saving nothing to disk (the test harness's
 * launcher), and registers it for cleanup (also on Ctrl-C or a crash of the benchmark). Never touches the
 * machine's Redis on 6379.
 *
 * @example
 * ```ts
 * const redis = await startBenchRedis({ notifyKeyspaceEvents: 'K$' });
 * await redis.stop();
 * ```
 * @param options - see {@link StartBenchRedisOptions}.
 * @returns the running server.
 * @throws Error when redis-server is missing or does not start within 10 s.
 */
export async function startBenchRedis(options: StartBenchRedisOptions = {}): Promise<BenchRedis> {
  const server = await startRedisServer({
    args: ['--notify-keyspace-events', options.notifyKeyspaceEvents ?? ''],
  });
  const pid = server.pid;
  const untrack = trackPid(pid);
  const stop = async (): Promise<void> => {
    unregister();
    await server.stop();
    untrack();
  };
  const unregister = onCleanup(stop);
  return { port: server.port, pid, stop };
}
