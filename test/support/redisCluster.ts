import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { freePort, type RedisServerHandle, startRedisServer } from './redisServer.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Options of {@link startRedisCluster}. */
export interface StartClusterOptions {
  /** Masters. @default 3 */
  masters?: number;
  /** Replicas per master. @default 0 */
  replicas?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
}

/** A local Redis Cluster of redis-server processes this test run started on loopback ports. */
export interface RedisClusterHandle {
  readonly nodes: RedisServerHandle[];
  /** A new ioredis Cluster client; closed by `stop()`. */
  client(options?: ClusterOptions): Cluster;
  /** The node (handle) that is master of `slot` right now. */
  masterOf(slot: number): Promise<RedisServerHandle>;
  /** Waits until every running node reports `cluster_state:ok` and agrees on the slot owners. */
  waitHealthy(timeout?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port + 10000 > 65535) continue;
    return port;
  }
  throw new Error('no free port pair for a cluster node');
}

/** Starts `masters * (1 + replicas)` cluster-enabled redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(options: StartClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const count = masters * (1 + replicas);
  const nodes: RedisServerHandle[] = [];
  const clients: Cluster[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freeClusterPort();
      nodes.push(
        await startRedisServer({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '1000',
            '--cluster-replica-validity-factor',
            '0',
            ...(options.args ?? []),
          ],
        }),
      );
    }
    await execFileAsync('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
  } catch (error) {
    for (const node of nodes) await node.stop();
    throw error;
  }

  const handle: RedisClusterHandle = {
    nodes,
    client(clientOptions) {
      const client = new Cluster(
        nodes.filter((node) => node.running).map((node) => ({ host: '127.0.0.1', port: node.port })),
        clientOptions,
      );
      clients.push(client);
      return client;
    },
    async masterOf(slot) {
      for (const node of nodes) {
        if (!node.running) continue;
        const lines = (await node.cli('CLUSTER', 'NODES')).split('\n');
        for (const line of lines) {
          const [, address, flags, , , , , , ...ranges] = line.split(' ');
          if (!flags?.includes('master') || flags.includes('fail')) continue;
          const owns = ranges.some((range) => {
            if (range.startsWith('[')) return false;
            const [from, to = from] = range.split('-').map(Number);
            return from !== undefined && to !== undefined && slot >= from && slot <= to;
          });
          const port = Number(address?.split('@')[0]?.split(':')[1]);
          const owner = nodes.find((candidate) => candidate.port === port);
          if (owns && owner !== undefined) return owner;
        }
      }
      throw new Error(`no master found for slot ${slot}`);
    },
    async waitHealthy(timeout = 20_000) {
      const start = Date.now();
      for (;;) {
        const states = await Promise.all(
          nodes.filter((node) => node.running).map((node) => node.cli('CLUSTER', 'INFO').catch(() => '')),
        );
        const links = await Promise.all(
          nodes.filter((node) => node.running).map((node) => node.cli('INFO', 'replication').catch(() => '')),
        );
        const replicasSynced = links.every(
          (info) => !info.includes('role:slave') || info.includes('master_link_status:up'),
        );
        if (states.every((info) => info.includes('cluster_state:ok')) && replicasSynced) return;
        if (Date.now() - start > timeout) throw new Error(`cluster not healthy in ${timeout} ms`);
        await sleep(100);
      }
    },
    async stop() {
      for (const client of clients) client.disconnect();
      for (const node of nodes) await node.stop();
    },
  };
  await handle.waitHealthy();
  return handle;
}
