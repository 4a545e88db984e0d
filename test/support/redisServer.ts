import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';

const execFileAsync = promisify(execFile);

/** Options of {@link startRedisServer}. */
export interface StartRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--notify-keyspace-events', 'K$']`. */
  args?: string[];
  /** Keep data across a kill/restart (AOF with fsync always). @default false */
  persistence?: boolean;
  /** Use this port instead of a free one. */
  port?: number;
}

/** A `redis-server` process this test run started, on a loopback port of its own. */
export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** The server's working directory (AOF, nodes.conf). */
  readonly dir: string;
  /** Whether the process is running. */
  readonly running: boolean;
  /** The process id of the running server (0 when it is not running). */
  readonly pid: number;
  /** A new ioredis client to this server; closed by `stop()`. */
  client(options?: RedisOptions): Redis;
  /** Runs `redis-cli -p PORT ...args` and resolves its trimmed output. */
  cli(...args: string[]): Promise<string>;
  /** Kills the process with SIGKILL (no shutdown save) and waits for it to exit. */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port, with the same arguments and directory; `args` are added for
   * this start only (e.g. `['--requirepass', 'rotated']` to rotate the password across a restart).
   */
  restart(options?: { args?: string[] }): Promise<void>;
  /** Closes the clients, stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
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

function launch(port: number, dir: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--logfile',
      '',
      '--daemonize',
      'no',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} did not start in 10 s:\n${output}`));
    }, 10_000);
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
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with code ${code}:\n${output}`));
    });
  });
}

/**
 * Starts a `redis-server` from PATH on a free loopback port with nothing saved to disk (unless
 * `persistence`), for one test file. Never uses the machine's own Redis on 6379.
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-abort-redis-'));
  const args = [
    ...(options.persistence
      ? ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--save', '', '--appendonly', 'no']),
    ...(options.args ?? []),
  ];
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    try {
      child = await launch(port, dir, args);
    } catch (error) {
      if (attempt >= 3 || options.port !== undefined) throw error;
      port = await freePort();
    }
  }
  const clients = new Set<Redis>();
  let current: ChildProcess | undefined = child;

  const exited = (process: ChildProcess): Promise<void> =>
    process.exitCode !== null || process.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => process.once('exit', () => resolve()));

  const handle: RedisServerHandle = {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return current !== undefined && current.exitCode === null && current.signalCode === null;
    },
    get pid() {
      return handle.running ? (current?.pid ?? 0) : 0;
    },
    client(clientOptions) {
      const client = new Redis({ host: '127.0.0.1', port, lazyConnect: false, ...clientOptions });
      clients.add(client);
      client.once('end', () => clients.delete(client));
      return client;
    },
    async cli(...cliArgs) {
      const { stdout } = await execFileAsync('redis-cli', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        ...cliArgs,
      ]);
      return stdout.trim();
    },
    async kill() {
      const process = current;
      if (process === undefined) return;
      current = undefined;
      process.kill('SIGKILL');
      await exited(process);
    },
    async restart(restartOptions) {
      if (handle.running) await handle.kill();
      current = await launch(port, dir, [...args, ...(restartOptions?.args ?? [])]);
    },
    async stop() {
      for (const client of clients) client.disconnect();
      clients.clear();
      await handle.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
