// The maxmemory-policy check before writes, during an outage of the command client: every abort issued
// while the client is down shares one in-flight check (one CONFIG GET once it is back, one errors$ report
// when it fails), and with requireNoEviction the check and the write together take at most commandTimeout.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Abortable,
  RedisBackend,
  type RedisBackendOptions,
  RedisUnavailableError,
} from '../../../src/index.js';
import { startRedisServer } from '../../support/redisServer.js';
import { collectWarnings, sleep, until } from '../hardening/support.js';

const ABORTS = 20;

describe('the eviction check while the command client is down', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server, a client whose reconnect loop the test can hold still, and a backend on it (warmed up). */
  async function setup(options: Partial<RedisBackendOptions>) {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    let holding = false;
    const client = server.client({ retryStrategy: () => (holding ? 60_000 : 50) });
    client.on('error', () => {});
    const backend = new RedisBackend({ client, prefix: `eco:${randomUUID().slice(0, 8)}:`, ...options });
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    const errors: unknown[] = [];
    const subscription = backend.errors$.subscribe((error) => errors.push(error));
    cleanups.push(() => subscription.unsubscribe());
    await abortable.abort('warm'); // checked once, on the first connection
    const goDown = async (hold: boolean): Promise<void> => {
      holding = hold;
      await server.kill();
      await until(() => client.status !== 'ready', 'the client noticed the server is gone');
    };
    const release = async (): Promise<void> => {
      holding = false;
      await client.connect().catch(() => {});
    };
    return { server, client, backend, abortable, errors, goDown, release };
  }

  const configCalls = (info: string): number =>
    Number(/cmdstat_config\|get:calls=(\d+)/.exec(info)?.[1] ?? 0);

  it('aborts issued while the client reconnects share one check: one CONFIG GET once it is back', async () => {
    const { server, abortable, errors, goDown, release } = await setup({ commandTimeout: 10_000 });
    await goDown(true);
    const aborts = Array.from({ length: ABORTS }, (_, i) => abortable.abort(`down-${i}`));
    await sleep(100);
    await server.restart(); // a fresh server: its commandstats count only what comes after the reconnect
    await release();
    await Promise.all(aborts);
    await sleep(100);
    const admin = server.client();
    expect(configCalls(await admin.info('commandstats')), 'CONFIG GET calls after the reconnect').toBe(1);
    expect(errors).toEqual([]);
  });

  it('an outage longer than commandTimeout: every abort rejects, one failed check is reported, not one per abort', async () => {
    const { abortable, errors, goDown } = await setup({ commandTimeout: 300 });
    await goDown(false);
    const outcomes = await Promise.all(
      Array.from({ length: ABORTS }, (_, i) => abortable.abort(`down-${i}`).catch((e: unknown) => e)),
    );
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(RedisUnavailableError);
    await sleep(200);
    const checks = errors.filter(
      (error) => error instanceof RedisUnavailableError && /CONFIG GET/.test(error.message),
    );
    expect(checks).toHaveLength(1);
  });

  it('with requireNoEviction the check and the write together take at most commandTimeout', async () => {
    const commandTimeout = 1500;
    const { server, abortable, goDown, release } = await setup({ commandTimeout, requireNoEviction: true });
    await goDown(true);
    const started = Date.now();
    const abort = abortable.abort('late').then(
      () => 'resolved',
      (e: unknown) => e,
    );
    // Back after 1 s, but refusing writes for a while (CLIENT PAUSE WRITE lets CONFIG GET through): the
    // check passes late, then the write stalls. Bounded separately, they would take 1 s + commandTimeout.
    await sleep(800);
    await server.restart();
    await server.cli('CLIENT', 'PAUSE', '5000', 'WRITE');
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
    await release();
    const error = await abort;
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(elapsed).toBeLessThan(commandTimeout + 600);
  });

  it('checks again when the command client reconnects, with no write waiting', async () => {
    const warnings = collectWarnings();
    cleanups.push(() => warnings.stop());
    const risk = () =>
      warnings.warnings.filter((w) => (w as { code?: string }).code === 'RX_ABORT_EVICTION_RISK');
    const { server, client } = await setup({});
    const admin = server.client();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    expect(risk()).toEqual([]);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await until(() => risk().length === 1, 'warned after the reconnect');
    expect(risk()[0]?.message).toMatch(/maxmemory-policy is "allkeys-lfu"/);
    expect(client.status).toBe('ready');
  });
});
