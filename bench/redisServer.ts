import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

const START_TIMEOUT_MS = 10_000;

/** A loopback TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, notify: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      tmpdir(),
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      '',
      '--daemonize',
      'no',
      '--notify-keyspace-events',
      notify,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`redis-server on port ${port} did not start within ${START_TIMEOUT_MS} ms:\n${output}`),
      );
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run redis-server (is it on PATH?): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with code ${code}:\n${output}`));
    });
  });
}

/**
 * Starts a `redis-server` from PATH on a free loopback port, saving nothing to disk, and registers it for
 * cleanup (also on Ctrl-C or a crash of the benchmark). Never touches the machine's Redis on 6379.
 *
 * @example
 * ```ts
 * const redis = await startBenchRedis({ notifyKeyspaceEvents: 'K$' });
 * await redis.stop();
 * ```
 * @param options - see {@link StartBenchRedisOptions}.
 * @returns the running server.
 * @throws Error when redis-server is missing or does not start within 10 s (after 3 port attempts).
 */
export async function startBenchRedis(options: StartBenchRedisOptions = {}): Promise<BenchRedis> {
  const notify = options.notifyKeyspaceEvents ?? '';
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await launch(port, notify);
    } catch (error) {
      lastError = error;
      continue;
    }
    const pid = child.pid ?? 0;
    const untrack = trackPid(pid);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const stop = async (): Promise<void> => {
      unregister();
      child.kill('SIGKILL');
      await exited;
      untrack();
    };
    const unregister = onCleanup(stop);
    return { port, pid, stop };
  }
  throw lastError;
}
