import type { Cluster, Redis } from 'ioredis';
import { validateMilliseconds, validateOptions } from '../../../core/validate.js';
import { isCluster } from '../isCluster.js';
import { DEFAULT_PREFIX } from '../keys.js';
import { loadIoredis } from '../loadIoredis.js';
import { type DiagnosedNode, diagnosedNode, infoFields } from './DiagnosedNode.js';
import type { DiagnosisCheck, RedisDiagnosis } from './DiagnosisCheck.js';
import { checkPermissions } from './permissions.js';
import { checkReplication } from './replication.js';
import { checkRoundTrips } from './roundTrip.js';
import {
  checkEviction,
  checkNotifications,
  checkPersistence,
  checkPubsubBuffer,
  DIAGNOSED_SETTINGS,
  type ServerSettings,
  settingsOf,
} from './serverSettings.js';

/** Options of {@link diagnoseRedis}. */
export interface DiagnoseRedisOptions {
  /** The mark key prefix the library will use (as `RedisBackend`'s `prefix`). @default 'rx-abort:' */
  prefix?: string;
  /**
   * Change what can safely be changed: merge the missing flags into `notify-keyspace-events` and raise the
   * pubsub `client-output-buffer-limit` to fit `burst`, each reported in its check's `changed`. Eviction
   * policy, persistence, replicas and ACLs are never changed; their checks say what to do.
   * @default false
   */
  fix?: boolean;
  /** How many aborts of watched ids may arrive at once, for the output-buffer estimate. @default 10_000 */
  burst?: number;
  /** Characters of a typical task id, for the output-buffer estimate. @default 36 (a UUID) */
  idLength?: number;
  /** Milliseconds each command, and the round trip, may take. @default 2000 */
  timeout?: number;
}

const positiveInteger = (value: unknown, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100_000_000) {
    throw new RangeError(`${name} must be an integer from 1 to 100000000, got ${String(value)}`);
  }
  return value;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Resolves once the cluster client is ready, or rejects after `timeout` milliseconds. */
function clusterReady(cluster: Cluster, timeout: number): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: unknown): void => {
      clearTimeout(timer);
      cluster.off('ready', onReady);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = (): void => done();
    const timer = setTimeout(
      () => done(new Error(`the cluster was not ready within ${timeout} ms`)),
      timeout,
    );
    cluster.once('ready', onReady);
  });
}

/** The checks of one node (master or standalone server), in the order they are printed. */
async function checkNode(
  node: DiagnosedNode,
  context: { fix: boolean; burst: number; idLength: number; keyPrefix: string; db: number; timeout: number },
): Promise<DiagnosisCheck[]> {
  let settings: ServerSettings = {};
  let configError: string | undefined;
  try {
    settings = settingsOf(await node.run('CONFIG', 'GET', ...DIAGNOSED_SETTINGS));
  } catch (error) {
    // The server's reply (NOPERM ...) says it; the library error around it adds advice for RedisBackend.
    configError = errorMessage((error as { cause?: unknown } | null)?.cause ?? error);
  }
  const settingsContext = { node, settings, configError, ...context };
  return [
    await checkNotifications(settingsContext),
    checkEviction(settingsContext),
    await checkPubsubBuffer(settingsContext),
    checkPersistence(settingsContext),
    await checkReplication(node),
    await checkPermissions({
      node,
      keyPrefix: context.keyPrefix,
      db: context.db,
      username: node.client.options.username,
      timeout: context.timeout,
    }),
  ];
}

/** The failed `connection` check of a node that does not answer, or refuses the credentials. */
function unreachable(node: DiagnosedNode, error: unknown): { check: DiagnosisCheck; cluster: boolean } {
  const refused = error instanceof Error && error.name === 'RedisAuthError';
  const reply = errorMessage((error as { cause?: unknown }).cause ?? error);
  return {
    check: {
      name: 'connection',
      node: node.label,
      status: 'fail',
      ...(refused
        ? /^NOAUTH\b/.test(reply)
          ? {
              message: `the server requires a password, and none was given (${reply})`,
              fix: 'give the user and password in the URL: redis://<user>:<password>@<host>:<port>',
            }
          : {
              message: `the server refused the credentials (${reply})`,
              fix: 'check the user and password in the URL (redis://<user>:<password>@<host>:<port>) and that the user is enabled (ACL LIST)',
            }
        : {
            message: `cannot reach the server: ${errorMessage(error)}`,
            fix: 'check the URL and that Redis answers: redis-cli -u <url> PING',
          }),
    },
    cluster: false,
  };
}

/** Whether `node` answers, and what it is: the `connection` check, and whether cluster mode is on. */
async function checkConnection(node: DiagnosedNode): Promise<{ check: DiagnosisCheck; cluster: boolean }> {
  try {
    const fields = infoFields(await node.run('INFO', 'server'));
    const cluster = infoFields(await node.run('INFO', 'cluster')).get('cluster_enabled') === '1';
    const version = fields.get('redis_version') ?? 'unknown';
    const mode = cluster ? 'cluster' : (fields.get('redis_mode') ?? 'standalone');
    return {
      check: { name: 'connection', node: node.label, status: 'pass', message: `Redis ${version} (${mode})` },
      cluster,
    };
  } catch (error) {
    if (!/NOPERM/.test(errorMessage(error))) {
      return unreachable(node, error);
    }
  }
  // INFO is refused for this user: a PING (or its refusal: NOPERM is an answer) tells that it answers.
  try {
    await node.run('PING');
  } catch (error) {
    if (!/NOPERM/.test(errorMessage(error))) {
      return unreachable(node, error);
    }
  }
  return {
    check: {
      name: 'connection',
      node: node.label,
      status: 'pass',
      message: 'the server answers (this user may not run INFO, so its version is unknown)',
    },
    cluster: false,
  };
}

/**
 * Checks a Redis server (or every master of a Redis Cluster) for what {@link RedisBackend} needs, and
 * returns one {@link DiagnosisCheck} per concern and node: the connection, `notify-keyspace-events`
 * (needs `K` and `$`), `maxmemory-policy` (marks can be evicted unless `noeviction`), the pubsub
 * `client-output-buffer-limit` against a burst of aborts, persistence, replication, the current user's
 * permissions for the library's commands (`ACL DRYRUN`, else each command tried on a probe key; `PUBLISH`
 * for one-hop aborts is recommended), and a live round trip through `RedisBackend` (an `abort()` until its
 * watch fires, one hop or two) with its time. `rx-abort doctor` prints it.
 *
 * When `client` is a `Redis` connected to a node with `cluster_enabled:1`, the checks run on every master
 * (through a `Cluster` client it opens with the same credentials and closes again). It changes no setting
 * unless `fix` is true; it writes only short-lived probe keys under the prefix (expiring within 5 s). It
 * does not close `client`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { diagnoseRedis } from 'rx-abort';
 * const client = new Redis('redis://127.0.0.1:6379');
 * const diagnosis = await diagnoseRedis(client, { prefix: 'myapp:aborts:' });
 * for (const check of diagnosis.checks) console.log(check.status, check.name, check.message, check.fix ?? '');
 * client.disconnect();
 * ```
 * @param client - an ioredis `Redis` or `Cluster`, as given to `RedisBackend`.
 * @param options - see {@link DiagnoseRedisOptions}.
 * @returns every check, and `ok` when none failed.
 * @throws TypeError / RangeError synchronously for invalid options.
 */
export function diagnoseRedis(
  client: Redis | Cluster,
  options?: DiagnoseRedisOptions,
): Promise<RedisDiagnosis> {
  if (client === null || typeof client !== 'object' || typeof (client as Redis).duplicate !== 'function') {
    throw new TypeError('client must be an ioredis Redis or Cluster');
  }
  const checked = validateOptions<DiagnoseRedisOptions>(options, {
    prefix: true,
    fix: true,
    burst: true,
    idLength: true,
    timeout: true,
  });
  const prefix = checked.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('options.prefix must be a string');
  if (typeof (checked.fix ?? false) !== 'boolean') throw new TypeError('options.fix must be a boolean');
  const context = {
    fix: checked.fix ?? false,
    burst: positiveInteger(checked.burst, 'options.burst', 10_000),
    idLength: positiveInteger(checked.idLength, 'options.idLength', 36),
    timeout:
      checked.timeout === undefined
        ? 2000
        : validateMilliseconds(checked.timeout, 'options.timeout', 1, 600_000),
  };
  return diagnose(client, prefix, context);
}

async function diagnose(
  client: Redis | Cluster,
  prefix: string,
  context: { fix: boolean; burst: number; idLength: number; timeout: number },
): Promise<RedisDiagnosis> {
  const checks: DiagnosisCheck[] = [];
  let cluster: Cluster | undefined = isCluster(client) ? client : undefined;
  let ownedCluster: Cluster | undefined;
  try {
    if (cluster === undefined) {
      const node = diagnosedNode(client as Redis, context.timeout);
      const connection = await checkConnection(node);
      checks.push(connection.check);
      if (connection.check.status === 'fail') return { ok: false, checks };
      if (connection.cluster) {
        const { host, port, username, password, tls } = node.client.options;
        ownedCluster = new (loadIoredis().Cluster)([{ host: host ?? '127.0.0.1', port: port ?? 6379 }], {
          redisOptions: { username, password, tls },
          clusterRetryStrategy: () => null,
        });
        ownedCluster.on('error', () => {}); // failures surface as failed checks
        cluster = ownedCluster;
      }
    }
    if (cluster !== undefined) {
      const options = cluster.options.redisOptions ?? {};
      try {
        await clusterReady(cluster, context.timeout);
      } catch (error) {
        checks.push({
          name: 'cluster',
          node: checks[0]?.node ?? 'cluster',
          status: 'fail',
          message: `cannot reach the cluster: ${errorMessage(error)}`,
          fix: 'check that every node is up: redis-cli --cluster check <host>:<port>',
        });
        return { ok: false, checks };
      }
      const masters = cluster.nodes('master').map((master) => diagnosedNode(master, context.timeout));
      const first = masters[0];
      const state =
        first === undefined ? undefined : infoFields(await first.run('CLUSTER', 'INFO').catch(() => ''));
      const ok = state?.get('cluster_state') === 'ok';
      checks.push({
        name: 'cluster',
        node: first?.label ?? 'cluster',
        status: ok ? 'pass' : 'fail',
        message: `${masters.length} master(s): ${masters.map((m) => m.label).join(', ')} (cluster_state:${state?.get('cluster_state') ?? '?'}); every check below runs on each`,
        ...(ok ? {} : { fix: 'redis-cli --cluster check <host>:<port> (and --cluster fix)' }),
      });
      for (const master of masters) {
        if (!checks.some((check) => check.name === 'connection' && check.node === master.label)) {
          checks.push((await checkConnection(master)).check);
        }
      }
      const keyPrefix = cluster.options.keyPrefix ?? options.keyPrefix ?? '';
      for (const master of masters)
        checks.push(...(await checkNode(master, { ...context, keyPrefix: keyPrefix + prefix, db: 0 })));
      checks.push(
        ...(await checkRoundTrips({
          client: cluster,
          masters,
          prefix,
          keyPrefix,
          db: 0,
          timeout: context.timeout,
        })),
      );
    } else {
      const node = diagnosedNode(client as Redis, context.timeout);
      const keyPrefix = node.client.options.keyPrefix ?? '';
      const db = node.client.options.db ?? 0;
      checks.push(...(await checkNode(node, { ...context, keyPrefix: keyPrefix + prefix, db })));
      checks.push(
        ...(await checkRoundTrips({
          client,
          masters: [node],
          prefix,
          keyPrefix,
          db,
          timeout: context.timeout,
        })),
      );
    }
    return { ok: checks.every((check) => check.status !== 'fail'), checks };
  } finally {
    ownedCluster?.disconnect();
  }
}
