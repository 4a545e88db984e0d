import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort, type RedisServerHandle, startRedisServer } from './redisServer.js';

/** A master, its replica and one Sentinel watching them, all started by the test on loopback ports. */
export interface RedisSentinelHandle {
  /** The master's name in Sentinel (`new Redis({ sentinels, name })`). */
  readonly name: string;
  /** The Sentinel's address, for `sentinels`. */
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The two data servers; which one is master changes with a failover. */
  readonly servers: readonly [RedisServerHandle, RedisServerHandle];
  /** A client that follows the master through Sentinel; closed by `stop()`. */
  client(options?: RedisOptions): Redis;
  /** The port of the current master, as Sentinel reports it. */
  masterPort(): Promise<number>;
  /** `SENTINEL FAILOVER`, resolving once Sentinel reports the other server as master and it accepts writes. */
  failover(): Promise<number>;
  /** Stops every process and removes their directories. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, label: string, timeout = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - start > timeout) throw new Error(`${label}: not within ${timeout} ms`);
    await sleep(20);
  }
}

/** Whether Sentinel sees a replica in good standing: flags exactly `slave`, its master link up. */
async function replicaReady(sentinel: Redis, name: string): Promise<boolean> {
  const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as unknown[][];
  return replicas.some((fields) => {
    const info = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), String(fields[i + 1]));
    return (
      info.get('flags') === 'slave' &&
      info.get('master-link-status') === 'ok' &&
      Number(info.get('info-refresh') ?? Number.POSITIVE_INFINITY) < 5000
    );
  });
}

/** Waits until `replica` reports its link to the master up. */
const linked = async (replica: Redis): Promise<boolean> =>
  /master_link_status:up/.test(await replica.info('replication'));

/**
 * Starts a master, a replica of it and a Sentinel (`redis-server sentinel.conf --sentinel`) with short
 * `down-after-milliseconds` and `failover-timeout`, and waits until Sentinel sees the replica.
 */
export async function startRedisSentinel(name = 'rxmaster'): Promise<RedisSentinelHandle> {
  const master = await startRedisServer();
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const replicaAdmin = replica.client();
  replicaAdmin.on('error', () => {});
  await until(() => linked(replicaAdmin), 'replica linked');
  const dir = mkdtempSync(join(tmpdir(), 'rx-abort-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 3000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const sentinel = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => 50 });
  sentinel.on('error', () => {});
  await until(async () => {
    if (sentinel.status === 'wait') await sentinel.connect();
    return replicaReady(sentinel, name);
  }, 'sentinel sees the replica');
  const clients = new Set<Redis>();
  const masterPort = async (): Promise<number> => {
    const [, reported] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
    return Number(reported);
  };
  const handle: RedisSentinelHandle = {
    name,
    sentinels: [{ host: '127.0.0.1', port }],
    servers: [master, replica],
    client(options) {
      const client = new Redis({ sentinels: [...handle.sentinels], name, ...options });
      clients.add(client);
      return client;
    },
    masterPort,
    async failover() {
      const before = await masterPort();
      // Sentinel refuses (NOGOODSLAVE) until it has fresh INFO from a replica whose link is up: wait for
      // that, and on a refusal ask again (a busy machine delays its INFO polls), within the bound.
      await until(async () => {
        if (!(await replicaReady(sentinel, name))) return false;
        try {
          await sentinel.call('SENTINEL', 'FAILOVER', name);
          return true;
        } catch (error) {
          if (/NOGOODSLAVE/.test(String(error))) return false;
          throw error;
        }
      }, 'sentinel accepted the failover');
      await until(async () => (await masterPort()) !== before, 'sentinel switched the master');
      const now = await masterPort();
      const promoted = [master, replica].find((server) => server.port === now);
      if (promoted === undefined) throw new Error(`unknown master port ${now}`);
      const admin = promoted.client();
      await until(async () => /role:master/.test(await admin.info('replication')), 'promoted is master');
      admin.disconnect();
      return now;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      sentinel.disconnect();
      replicaAdmin.disconnect();
      child.kill('SIGKILL');
      await replica.stop();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
