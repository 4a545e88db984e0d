import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { validateRedisUrl } from '../backends/redis/validateRedisUrl.js';
import { Abortable, RedisBackend } from '../index.js';
import { type GlobalOptions, UsageError } from './parseCommandLine.js';
import type { CommandName } from './usage.js';

/** The library objects a command works with, and how to close them. */
export interface Connection {
  readonly client: Redis | Cluster;
  readonly backend: RedisBackend;
  readonly abortable: Abortable;
  /** Closes the backend, then the client (the CLI owns both). */
  close(): Promise<void>;
}

let lastError: unknown;

/** The last connection error of a client made by {@link createClient}, for the error message. */
export const lastConnectionError = (): unknown => lastError;

/** `--url`, checked by the library's own {@link validateRedisUrl}. */
function checkedUrl(url: string, command: CommandName): string {
  try {
    validateRedisUrl(url, '--url');
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
  return url;
}

/**
 * An ioredis client for `--url` (a `Cluster` seeded with it under `--cluster`). The URL is read by ioredis
 * itself, as `RedisBackend.fromUrl` has it read: `redis://user:password@host:port/db?options`, or a unix
 * socket path with options (`/run/redis.sock?db=2`). Connection errors are kept for the error messages
 * rather than printed by ioredis; commands wait at most `--command-timeout`.
 */
export function createClient(global: GlobalOptions, command: CommandName): Redis | Cluster {
  const url = checkedUrl(global.url, command);
  const options: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: global.commandTimeout,
  };
  let client: Redis | Cluster;
  if (global.cluster) {
    if (url.startsWith('/')) {
      throw new UsageError(
        '--cluster needs a redis:// or rediss:// URL of a cluster node, not a socket path',
        command,
      );
    }
    const parsed = new URL(url);
    client = new Redis.Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
      lazyConnect: true,
      redisOptions: {
        username: decodeURIComponent(parsed.username) || undefined,
        password: decodeURIComponent(parsed.password) || undefined,
        ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  } else {
    client = new Redis(url, options);
  }
  // ioredis would print unhandled connection errors; keep the last one for the error message instead.
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  return client;
}

/** A RedisBackend and an Abortable on a new client; `configureNotifications: false`: the CLI changes no setting. */
export function connect(global: GlobalOptions, command: CommandName): Connection {
  const client = createClient(global, command);
  let backend: RedisBackend;
  try {
    backend = new RedisBackend({
      client,
      configureNotifications: false,
      commandTimeout: global.commandTimeout,
      ...(global.prefix === undefined ? {} : { prefix: global.prefix }),
    });
  } catch (error) {
    client.disconnect();
    throw new UsageError(`--prefix: ${(error as Error).message}`, command);
  }
  const errors = backend.errors$.subscribe(() => {}); // reported by the failing commands
  const abortable = new Abortable({ backend });
  return {
    client,
    backend,
    abortable,
    async close() {
      await abortable.close();
      errors.unsubscribe();
      client.disconnect();
    },
  };
}
