// rx-abort doctor, run as the built bin against redis-servers this file starts with wrong and right
// settings: notifications off, allkeys-lru under maxmemory, a small pubsub buffer, no persistence, a
// replica, restricted ACL users, and a cluster (every master checked).
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysUnder, until } from '../integration/hardening/support.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redisCluster.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';
import { type BuiltCli, buildCli, jsonLines, runBin } from './support/buildCli.js';

let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli?.remove());

type Check = {
  type: string;
  name: string;
  status: string;
  node: string;
  message: string;
  fix?: string;
  changed?: string;
  ms?: number;
};

const checksOf = (stdout: string): Check[] =>
  jsonLines(stdout).filter((line) => line.type === 'check') as Check[];
const byName = (checks: Check[]): Record<string, Check> =>
  Object.fromEntries(checks.map((check) => [check.name, check]));

describe('doctor on a misconfigured server', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer({
      args: [
        '--maxmemory',
        '100mb',
        '--maxmemory-policy',
        'allkeys-lru',
        '--client-output-buffer-limit',
        'pubsub 4mb 1mb 60',
      ],
    });
    admin = server.client();
  });
  afterAll(() => server?.stop());

  const config = async (name: string): Promise<string> =>
    ((await admin.config('GET', name)) as string[])[1] ?? '';

  it('fails each wrong setting with its fix, exits 1, and changes nothing', async () => {
    const [json, text] = await Promise.all([
      runBin(cli, ['doctor', '--json', '--burst', '20000', '--url', server.url]),
      runBin(cli, ['doctor', '--url', server.url]),
    ]);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const checks = byName(checksOf(json.stdout));
    expect(Object.keys(checks)).toEqual([
      'connection',
      'notify-keyspace-events',
      'maxmemory-policy',
      'pubsub-buffer',
      'persistence',
      'replication',
      'permissions',
      'round-trip',
    ]);
    expect(checks.connection).toMatchObject({ status: 'pass', node: `127.0.0.1:${server.port}` });
    expect(checks['notify-keyspace-events']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^"" lacks K\$/),
      fix: expect.stringMatching(/^CONFIG SET notify-keyspace-events K\$ .*rx-abort doctor --fix$/),
    });
    expect(checks['maxmemory-policy']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^allkeys-lru with maxmemory 100mb: abort marks can be evicted/),
      fix: expect.stringMatching(/^CONFIG SET maxmemory-policy noeviction/),
    });
    // Per abort: the keyspace event `set` (93 B) and the mark published with it (143 B), measured below.
    expect(checks['pubsub-buffer']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /^20000 aborts x 236 B \(keyspace event 93 B, published mark 143 B\) = 4\.5mb exceeds the hard limit.*pubsub hard 4mb, soft 1mb for 60 s/,
      ),
      fix: 'CONFIG SET client-output-buffer-limit "pubsub 10mb 5mb 60" (and client-output-buffer-limit pubsub 10mb 5mb 60 in redis.conf)',
    });
    expect(checks.persistence).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/^CONFIG SET appendonly yes/),
    });
    expect(checks.replication).toMatchObject({ status: 'pass' });
    expect(checks.permissions).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/ACL DRYRUN/),
    });
    expect(checks['round-trip']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/notifications are off/),
    });
    expect(jsonLines(json.stdout).at(-1)).toEqual({ type: 'summary', ok: false, pass: 3, warn: 1, fail: 4 });

    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^pass {2}connection {14}Redis \d+\.\d+\.\d+ \(standalone\)$/);
    expect(lines).toContain(
      'fail  maxmemory-policy        allkeys-lru with maxmemory 100mb: abort marks can be evicted before their window ends',
    );
    const failed = lines.filter((line) => line.startsWith('fail')).length;
    const warned = lines.filter((line) => line.startsWith('warn')).length;
    expect(failed).toBe(3); // at the default burst the pubsub buffer is only over its soft limit: a warning
    expect(lines.filter((line) => /^ {6}fix: /.test(line)).length).toBe(failed + warned); // each with its fix
    expect(lines.at(-1)).toBe(`${8 - failed - warned} passed, ${warned} warnings, 3 failed`);

    expect(await config('notify-keyspace-events')).toBe('');
    expect(await config('maxmemory-policy')).toBe('allkeys-lru');
    expect(await config('client-output-buffer-limit')).toMatch(/pubsub 4194304 1048576 60/);
    expect(await keysUnder(admin, 'rx-abort:')).toEqual([]);
  });

  it('watch fails at once with exit 1 when notifications are off, pointing at doctor, and changes nothing', async () => {
    const run = await runBin(cli, ['watch', 'job-1', '--url', server.url]);
    expect(run.code).toBe(1);
    // The eviction-risk warning of the library comes first, in the command line's own words.
    expect(run.stderr).toMatch(/^rx-abort: warning: maxmemory-policy is "allkeys-lru"/);
    // Advice for a shell user: doctor --fix or CONFIG SET, not the library's configureNotifications option.
    expect(run.stderr).toMatch(
      /^rx-abort watch: Redis keyspace notifications are off \(notify-keyspace-events is ""\), so no abort would reach a watch\n {2}fix: rx-abort doctor --fix \(sets notify-keyspace-events K\$\), or CONFIG SET notify-keyspace-events K\$; keep it with notify-keyspace-events K\$ in redis\.conf \(or your provider's setting\)\n$/m,
    );
    expect(run.stderr).not.toMatch(/configureNotifications/);
    expect(await config('notify-keyspace-events')).toBe('');
  });

  it('--fix sets notify-keyspace-events and the pubsub limits, says so, and still fails on the eviction policy', async () => {
    const run = await runBin(cli, ['doctor', '--fix', '--json', '--burst', '20000', '--url', server.url]);
    expect(run.code).toBe(1);
    const checks = byName(checksOf(run.stdout));
    expect(checks['notify-keyspace-events']).toMatchObject({
      status: 'pass',
      changed: 'notify-keyspace-events "" -> "K$"',
    });
    expect(checks['pubsub-buffer']).toMatchObject({
      status: 'pass',
      changed: 'client-output-buffer-limit pubsub "4194304 1048576 60" -> "pubsub 10mb 5mb 60"',
    });
    expect(checks['maxmemory-policy']).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/not changed by --fix/),
    });
    expect(checks['round-trip']).toMatchObject({ status: 'pass', ms: expect.any(Number) });
    expect(await config('notify-keyspace-events')).toMatch(/^(K\$|\$K)$/);
    expect(await config('client-output-buffer-limit')).toMatch(/pubsub 10485760 5242880 60/);
    expect(await config('maxmemory-policy')).toBe('allkeys-lru');
  });
});

describe('doctor on a well-configured server with a replica, and restricted users', () => {
  let master: RedisServerHandle;
  let replica: RedisServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    master = await startRedisServer({ persistence: true, args: ['--notify-keyspace-events', 'K$'] });
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    admin = master.client();
    await until(
      async () => /slave0:.*state=online/.test(await master.cli('INFO', 'replication')),
      'replica online',
    );
  });
  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });

  /** An ACL user with README's least-privilege rules (minus `without`, plus `extra`); its URL. */
  async function aclUser(without?: string, extra: string[] = []): Promise<{ user: string; url: string }> {
    const user = `u${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    const rules = [
      'on',
      `>${password}`,
      'resetkeys',
      '~rx-abort:*',
      'resetchannels',
      '&__keyspace@0__:rx-abort:*',
      '-@all',
      '+get',
      '+set',
      '+multi',
      '+exec',
      '+subscribe',
      '+unsubscribe',
    ];
    await admin.call('ACL', 'SETUSER', user, ...rules.filter((rule) => rule !== without), ...extra);
    return { user, url: `redis://${user}:${password}@127.0.0.1:${master.port}` };
  }

  it('passes every check on the master (exit 0), fails on the replica (READONLY), and checks ACL users', async () => {
    const limited = await aclUser();
    const noMulti = await aclUser('+multi');
    const [good, onReplica, asLimited, asNoMulti] = await Promise.all([
      runBin(cli, ['doctor', '--json', '--url', master.url]),
      runBin(cli, ['doctor', '--json', '--url', replica.url]),
      runBin(cli, ['doctor', '--json', '--url', limited.url]),
      runBin(cli, ['doctor', '--json', '--url', noMulti.url]),
    ]);
    expect(good.code, good.stdout).toBe(0);
    const checks = checksOf(good.stdout);
    expect(checks.map((check) => [check.name, check.status])).toEqual([
      ['connection', 'pass'],
      ['notify-keyspace-events', 'pass'],
      ['maxmemory-policy', 'pass'],
      ['pubsub-buffer', 'pass'],
      ['persistence', 'pass'],
      ['replication', 'pass'],
      ['permissions', 'pass'],
      ['round-trip', 'pass'],
    ]);
    expect(byName(checks).replication?.message).toMatch(
      /^1 replica\(s\) online \(127\.0\.0\.1:\d+ online lag \d+ s\)/,
    );
    expect(byName(checks)['round-trip']).toMatchObject({
      message: expect.stringMatching(
        /^abort\(\) -> watch fired in [\d.]+ ms \(one hop: the mark came in the PUBLISH sent with its SET\)$/,
      ),
      ms: expect.any(Number),
    });
    expect(byName(checks)['round-trip']?.ms).toBeGreaterThan(0);
    expect(jsonLines(good.stdout).at(-1)).toEqual({ type: 'summary', ok: true, pass: 8, warn: 0, fail: 0 });

    expect(onReplica.code).toBe(1);
    expect(byName(checksOf(onReplica.stdout)).replication).toMatchObject({
      status: 'fail',
      message: `this is a read-only replica of 127.0.0.1:${master.port}: abort() fails with READONLY`,
      fix: `use the master's URL (redis://127.0.0.1:${master.port}), or connect through Sentinel`,
    });

    // README's least-privilege user: what the library needs, nothing to read the settings with.
    expect(asLimited.code, asLimited.stdout).toBe(0);
    const limitedChecks = byName(checksOf(asLimited.stdout));
    expect(limitedChecks.permissions).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(
        new RegExp(
          `^user "${limited.user}" \\(tried each command on a probe key\\) has what RedisBackend needs`,
        ),
      ),
      fix: `ACL SETUSER ${limited.user} +publish +mget +exists +info +config|get +pttl`,
    });
    expect(limitedChecks['notify-keyspace-events']).toMatchObject({
      status: 'warn',
      message:
        "cannot read notify-keyspace-events (NOPERM this user has no permissions to run the 'config|get' command)",
    });
    expect(limitedChecks.permissions?.message).toMatch(
      /PUBLISH \(one-hop aborts: without it abort\(\) falls back to SET, event, GET and leaves a NOPERM in ACL LOG\): this user has no permissions to run the 'publish' command/,
    );
    // Without +publish the library's abort takes two hops, and the round trip says so.
    expect(limitedChecks['round-trip']).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(
        /^abort\(\) -> watch fired in [\d.]+ ms \(two hops: SET -> keyspace event -> GET; this user may not PUBLISH, see permissions\)$/,
      ),
    });

    expect(asNoMulti.code, asNoMulti.stdout).toBe(1);
    expect(byName(checksOf(asNoMulti.stdout)).permissions).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /may not run: MULTI \(abort\(\[\.\.\.ids\]\)\): this user has no permissions to run the 'multi' command/,
      ),
      fix: `ACL SETUSER ${noMulti.user} +multi +publish +mget +exists +info +config|get +pttl`,
    });
    // All it wrote are its probe keys, each expiring within 5 s.
    for (const key of await keysUnder(admin, 'rx-abort:')) {
      expect(key).toMatch(/^rx-abort:(rx-abort-doctor-|\n)/);
      expect(await admin.pttl(key)).toBeLessThanOrEqual(5000);
    }
  });

  it('warns (not fails) about a missing +publish, by ACL DRYRUN and by trying, naming +publish as the fix', async () => {
    const recommended = ['+mget', '+exists', '+info', '+config|get', '+pttl'];
    const tried = await aclUser(undefined, recommended);
    const dryRun = await aclUser(undefined, [...recommended, '+acl|whoami', '+acl|dryrun']);
    const withPublish = await aclUser(undefined, [...recommended, '+publish']);
    const [asTried, asDryRun, asPublisher] = await Promise.all(
      [tried, dryRun, withPublish].map((user) => runBin(cli, ['doctor', '--json', '--url', user.url])),
    );
    for (const [run, user, how] of [
      [asTried, tried, 'tried each command on a probe key'],
      [asDryRun, dryRun, 'ACL DRYRUN'],
    ] as const) {
      expect(run?.code, run?.stdout).toBe(0);
      const checks = byName(checksOf(run?.stdout ?? ''));
      expect(checks.permissions).toEqual({
        type: 'check',
        name: 'permissions',
        node: `127.0.0.1:${master.port}`,
        status: 'warn',
        message: `user "${user.user}" (${how}) has what RedisBackend needs, but not: PUBLISH (one-hop aborts: without it abort() falls back to SET, event, GET and leaves a NOPERM in ACL LOG): ${how === 'ACL DRYRUN' ? 'This' : 'this'} user has no permissions to run the 'publish' command`,
        fix: `ACL SETUSER ${user.user} +publish`,
      });
      expect(checks['round-trip']?.message).toMatch(/\(two hops: /);
    }
    expect(asPublisher?.code, asPublisher?.stdout).toBe(0);
    const checks = byName(checksOf(asPublisher?.stdout ?? ''));
    expect(checks.permissions).toMatchObject({ status: 'pass' });
    expect(checks['round-trip']?.message).toMatch(/\(one hop: /);
  });

  it("estimates an abort's pubsub bytes as a real subscriber receives them: the set event and the published mark", async () => {
    const id = randomUUID(); // 36 characters: doctor's default --id-length
    const channel = `__keyspace@0__:rx-abort:${id}`;
    const socket = connect(master.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    try {
      socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
      await until(async () => received.toString().endsWith(':1\r\n'), 'subscribed');
      const confirmation = received.length;
      const aborted = await runBin(cli, ['abort', id, '--url', master.url]);
      expect(aborted.code, aborted.stderr).toBe(0);
      await until(async () => received.toString().endsWith('}\r\n'), 'the published mark');
      const messages = received.subarray(confirmation).toString();
      expect(messages).toMatch(
        /^\*3\r\n\$7\r\nmessage\r\n.*\r\n\$3\r\nset\r\n\*3\r\n\$7\r\nmessage\r\n.*\{"mode":"abort".*\}\r\n$/s,
      );
      const perAbort = received.length - confirmation;
      const doctor = await runBin(cli, ['doctor', '--json', '--burst', '1', '--url', master.url]);
      expect(byName(checksOf(doctor.stdout))['pubsub-buffer']?.message).toMatch(
        new RegExp(
          `^1 aborts x ${perAbort} B \\(keyspace event 93 B, published mark ${perAbort - 93} B\\) = ${perAbort}b fits`,
        ),
      );
    } finally {
      socket.destroy();
    }
  });
});

describe('doctor on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, args: ['--notify-keyspace-events', 'K$'] });
  });
  afterAll(() => cluster?.stop());

  it('runs every check on every master, with a round trip on each', async () => {
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('no node');
    const run = await runBin(cli, ['doctor', '--json', '--url', node.url]);
    expect(run.code, run.stdout).toBe(0);
    const checks = checksOf(run.stdout);
    const ports = cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort();
    expect(checks.find((check) => check.name === 'cluster')).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/^3 master\(s\): .*cluster_state:ok/),
    });
    for (const name of [
      'connection',
      'notify-keyspace-events',
      'maxmemory-policy',
      'permissions',
      'round-trip',
    ]) {
      const nodes = checks.filter((check) => check.name === name).map((check) => check.node);
      expect(nodes.sort(), name).toEqual(ports);
    }
    expect(
      checks.filter((check) => check.name === 'round-trip').every((check) => check.status === 'pass'),
    ).toBe(true);
    const text = await runBin(cli, ['doctor', '--url', node.url]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^pass  round-trip {14}\\[127\\.0\\.0\\.1:${node.port}\\] abort\\(\\) -> watch fired in [\\d.]+ ms \\(one hop: the mark came in the PUBLISH sent with its SET\\)$`,
        'm',
      ),
    );
  });

  it('abort and status work on the cluster with --cluster (keys on any master)', async () => {
    const url = cluster.nodes[1]?.url ?? '';
    const ids = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
    const aborted = await runBin(cli, ['abort', ...ids, '--cluster', '--url', url, '--reason', 'cluster']);
    expect(aborted).toMatchObject({ code: 0, stderr: '' });
    const status = await runBin(cli, ['status', ...ids, '--cluster', '--json', '--url', url]);
    expect(status.code, status.stderr).toBe(0);
    expect(
      jsonLines(status.stdout).map((line) => [line.id, (line.mark as { reason?: string } | null)?.reason]),
    ).toEqual(ids.map((id) => [id, 'cluster']));
  });
});
