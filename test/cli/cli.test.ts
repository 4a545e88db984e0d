// The rx-abort command line, run as a child process from the built package (bin, shebang and all)
// against a redis-server this file starts: help, bad usage (exit 2), abort, status, watch and Ctrl-C.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { NEVER } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, actor, MemoryBroker, RedisBackend, Worker } from '../../src/index.js';
import { channelsUnder, numsub, until } from '../integration/hardening/support.js';
import { freePort, type RedisServerHandle, startRedisServer } from '../support/redisServer.js';
import { type BuiltCli, buildCli, finished, jsonLines, runBin, startBin } from './support/buildCli.js';

let cli: BuiltCli;
let server: RedisServerHandle;
let admin: Redis;

beforeAll(async () => {
  cli = buildCli();
  server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
  admin = server.client();
});
afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

const uniquePrefix = (): string => `cli-${randomUUID().slice(0, 8)}:`;

describe('the package', () => {
  it('names dist/cli/main.js as its bin, an executable file starting with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(pkg.bin).toEqual({ 'rx-abort': './dist/cli/main.js' });
    expect(pkg.files).toContain('dist');
    const build = JSON.parse(readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
      include: string[];
    };
    expect(build).toMatchObject({ compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] });
    expect(readFileSync(cli.bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(cli.bin).mode & 0o111).not.toBe(0);
  });
});

describe('help and usage (the cases in full: runCli.test.ts)', () => {
  it('prints help on stdout with exit 0, and a usage error on stderr with exit 2', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const [help, abortHelp, version, unknown, badMode] = await Promise.all([
      runBin(cli, ['--help']),
      runBin(cli, ['abort', '--help']),
      runBin(cli, ['--version']),
      runBin(cli, ['abort', 'a', '--frob', '--url', dead]),
      runBin(cli, ['abort', 'a', '--mode', 'stop', '--url', dead]),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: rx-abort <command> \[options\]\n[\s\S]*doctor/);
    expect(abortHelp).toMatchObject({ code: 0, stderr: '' });
    expect(abortHelp.stdout).toMatch(/^Usage: rx-abort abort <id\.\.\.> \[--mode abort\|cancel\]/);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(
      /^rx-abort: Unknown option '--frob'.*\nUsage: rx-abort abort <id\.\.\.>.*\nSee rx-abort abort --help\.\n$/,
    );
    expect(badMode).toMatchObject({ code: 2, stdout: '' });
    expect(badMode.stderr).toMatch(/^rx-abort: --mode must be abort or cancel, got "stop"\n/);
  });
});

describe('abort and status', () => {
  it('aborts ids (on REDIS_URL by default) and shows their marks and the time left, as text and as JSON', async () => {
    const prefix = uniquePrefix();
    const env = { REDIS_URL: server.url };
    const text = await runBin(
      cli,
      ['abort', 'a', 'b', '--prefix', prefix, '--reason', 'by hand', '--ttl', '60000'],
      { env },
    );
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(
      'aborted a (mode abort, window 60000 ms, reason "by hand")\naborted b (mode abort, window 60000 ms, reason "by hand")\n',
    );
    const json = await runBin(cli, [
      '--url',
      server.url,
      'abort',
      'c',
      '--json',
      '--prefix',
      prefix,
      '--mode',
      'cancel',
      '--timeout',
      '2500',
    ]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(json.stdout)).toEqual([
      { type: 'abort', id: 'c', mode: 'cancel', abortTtl: 90_000, abortTimeout: 2500 },
    ]);
    expect(JSON.parse((await admin.get(`${prefix}a`)) ?? 'null')).toMatchObject({
      mode: 'abort',
      reason: 'by hand',
    });
    expect(await admin.pttl(`${prefix}a`)).toBeGreaterThan(50_000);

    const [statusJson, statusText] = await Promise.all([
      runBin(cli, ['status', 'a', 'c', 'none', '--json', '--prefix', prefix], { env }),
      runBin(cli, ['status', 'a', 'none', '--prefix', prefix], { env }),
    ]);
    expect(statusJson).toMatchObject({ code: 0, stderr: '' });
    const [a, c, none] = jsonLines(statusJson.stdout);
    expect(a).toMatchObject({
      type: 'status',
      id: 'a',
      mark: { mode: 'abort', reason: 'by hand', abortTimeout: 0 },
    });
    expect(a?.timeLeft).toBeGreaterThan(40_000);
    expect(a?.timeLeft).toBeLessThanOrEqual(60_000);
    expect(c).toMatchObject({ id: 'c', mark: { mode: 'cancel', abortTimeout: 2500 } });
    expect(none).toEqual({ type: 'status', id: 'none', mark: null, timeLeft: null, outcome: null });
    expect(statusText.code).toBe(0);
    expect(statusText.stdout).toMatch(
      /^a: aborted \(mode abort, reason "by hand", at \d{4}-\d\d-\d\dT[\d:.]+Z\), \d+ ms left; no outcome reported\nnone: no live abort mark; no outcome reported\n$/,
    );
  });

  it('exits 1, naming the failure and its cause, when Redis does not answer within --command-timeout', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const [abort, status] = await Promise.all([
      runBin(cli, ['abort', 'a', '--url', url, '--command-timeout', '300']),
      runBin(cli, ['status', 'a', '--url', url, '--command-timeout', '300']),
    ]);
    for (const run of [abort, status]) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^rx-abort (abort|status): .*300 ms.*\(cause: .*ECONNREFUSED/);
      expect(run.stderr).not.toMatch(/Unhandled error event/);
    }
  });
});

describe('--url with a unix socket path', () => {
  let local: RedisServerHandle;
  let socketDir: string;
  let socket: string;
  beforeAll(async () => {
    socketDir = mkdtempSync(join(tmpdir(), 'rx-abort-socket-'));
    socket = join(socketDir, 'redis.sock');
    local = await startRedisServer({
      args: ['--notify-keyspace-events', 'K$', '--unixsocket', socket, '--unixsocketperm', '700'],
    });
  });
  afterAll(async () => {
    await local?.stop();
    if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
  });

  it('reads the path and its ?db= as RedisBackend.fromUrl does: abort, status and doctor on database 2', async () => {
    const url = `${socket}?db=2`;
    const aborted = await runBin(cli, ['abort', 'sock-1', '--url', url, '--reason', 'via the socket']);
    expect(aborted).toMatchObject({ code: 0, stderr: '' });
    // Written in database 2, and nowhere else.
    expect(await local.client({ db: 2 }).get('rx-abort:sock-1')).toMatch(/"reason":"via the socket"/);
    expect(await local.client().exists('rx-abort:sock-1')).toBe(0);
    // The library reads the same URL the same way.
    const backend = RedisBackend.fromUrl(url);
    try {
      expect(await backend.read('sock-1')).toMatchObject({ id: 'sock-1', reason: 'via the socket' });
    } finally {
      await backend.close();
    }
    const [status, doctor, onCluster] = await Promise.all([
      runBin(cli, ['status', 'sock-1', '--json', '--url', url]),
      runBin(cli, ['doctor', '--json', '--url', url]),
      runBin(cli, ['status', 'sock-1', '--cluster', '--url', url]),
    ]);
    expect(status.code, status.stderr).toBe(0);
    expect(jsonLines(status.stdout)).toEqual([
      expect.objectContaining({ id: 'sock-1', mark: expect.objectContaining({ reason: 'via the socket' }) }),
    ]);
    expect(doctor.code, doctor.stdout).toBe(0);
    const checks = jsonLines(doctor.stdout).filter((line) => line.type === 'check');
    expect(checks.find((check) => check.name === 'connection')).toMatchObject({
      status: 'pass',
      node: socket,
    });
    // The probe id's keyspace channel is that of database 2: the round trip would time out on any other.
    expect(checks.find((check) => check.name === 'round-trip')).toMatchObject({ status: 'pass' });
    expect(onCluster.code).toBe(2);
    expect(onCluster.stderr).toMatch(/^rx-abort: --cluster needs a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe('watch', () => {
  /** Starts `rx-abort watch` and resolves once it says it is watching. */
  async function startWatch(args: string[], ready: RegExp) {
    const child = startBin(cli, ['watch', ...args, '--url', server.url]);
    const done = finished(child);
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    await until(() => ready.test(output), `watch ready: ${output}`, 10_000);
    return { child, done, output: () => output };
  }

  it('prints each abort as JSON lines until SIGINT, then exits 0 with no subscription left', async () => {
    const prefix = uniquePrefix();
    await admin.set(
      `${prefix}early`,
      JSON.stringify({ mode: 'cancel', abortTimeout: 0, at: 1 }),
      'PX',
      60_000,
    );
    const watch = await startWatch(
      ['early', 'late', 'other', '--json', '--prefix', prefix],
      /"type":"watching"/,
    );
    const channels = ['early', 'late', 'other'].map((id) => `__keyspace@0__:${prefix}${id}`);
    await until(
      async () => [...(await numsub(admin, channels)).values()].every((n) => n === 1),
      'subscribed',
    );
    const aborted = await runBin(cli, [
      'abort',
      'late',
      '--url',
      server.url,
      '--prefix',
      prefix,
      '--reason',
      'now',
    ]);
    expect(aborted.code).toBe(0);
    await until(() => /"id":"late"/.test(watch.output()), 'abort printed');
    watch.child.kill('SIGINT');
    const run = await watch.done;
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = jsonLines(run.stdout);
    expect(lines[0]).toEqual({ type: 'watching', ids: ['early', 'late', 'other'] });
    expect(lines.slice(1, -1)).toEqual([
      expect.objectContaining({ type: 'abort', id: 'early', mode: 'cancel', at: 1 }),
      expect.objectContaining({ type: 'abort', id: 'late', mode: 'abort', reason: 'now' }),
    ]);
    expect(lines.at(-1)).toEqual({ type: 'end', watchedIds: 0 });
    expect([...(await numsub(admin, channels)).values()]).toEqual([0, 0, 0]);
    expect(await channelsUnder(admin, 0, prefix)).toEqual([]);
  });

  it('ends on SIGTERM too (text mode: the notice on stderr, one line per abort on stdout)', async () => {
    const prefix = uniquePrefix();
    const watch = await startWatch(['job-1', '--prefix', prefix], /watching job-1 \(Ctrl-C to stop\)/);
    await until(
      async () => (await channelsUnder(admin, 0, prefix)).length === 2,
      'mark and outcome subscribed',
    );
    await runBin(cli, ['abort', 'job-1', '--url', server.url, '--prefix', prefix]);
    await until(() => /abort job-1/.test(watch.output()), 'abort printed');
    watch.child.kill('SIGTERM');
    const run = await watch.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('watching job-1 (Ctrl-C to stop)\n');
    expect(run.stdout).toMatch(/^\S+Z abort job-1 \(mode abort, at \S+Z\)\n$/);
    expect(await channelsUnder(admin, 0, prefix)).toEqual([]);
  });
});

describe('outcomes (abort --wait, status, watch)', () => {
  it('abort --wait prints the outcome a real worker reports; status shows it; an id nobody runs exits 1', async () => {
    const prefix = uniquePrefix();
    const backend = new RedisBackend({ client: server.client(), prefix });
    const abortable = new Abortable({ backend });
    const broker = new MemoryBroker();
    broker.addMiddleware(abortable);
    const started: string[] = [];
    const forever = actor(
      'forever',
      (_: number, { messageId }: { messageId: string }) => {
        started.push(messageId);
        return NEVER;
      },
      { broker },
    );
    const worker = new Worker(broker, { concurrency: 2 }).start();
    try {
      const message = await forever.send(1);
      await until(() => started.includes(message.messageId), 'task started');
      const id = message.messageId;
      const [waited, nobody] = await Promise.all([
        runBin(cli, [
          'abort',
          id,
          '--wait',
          '8000',
          '--json',
          '--url',
          server.url,
          '--prefix',
          prefix,
          '--reason',
          'cli',
        ]),
        runBin(cli, ['abort', 'nobody', '--wait', '300', '--url', server.url, '--prefix', prefix]),
      ]);
      expect(waited).toMatchObject({ code: 0, stderr: '' });
      expect(jsonLines(waited.stdout)).toEqual([
        { type: 'outcome', id, outcome: { outcome: 'stopped', at: expect.any(Number), workerId: worker.id } },
      ]);
      expect(nobody.code).toBe(1);
      expect(nobody.stdout).toBe(
        'nobody: no outcome within 300 ms (not picked up yet, finished before the abort, or unknown)\n',
      );
      const [json, text] = await Promise.all([
        runBin(cli, ['status', id, 'nobody', '--json', '--url', server.url, '--prefix', prefix]),
        runBin(cli, ['status', id, '--url', server.url, '--prefix', prefix]),
      ]);
      const [withOutcome, without] = jsonLines(json.stdout);
      expect(withOutcome).toMatchObject({
        id,
        mark: { mode: 'abort', reason: 'cli' },
        outcome: { outcome: 'stopped', workerId: worker.id },
      });
      expect(without).toMatchObject({ id: 'nobody', mark: { mode: 'abort' }, outcome: null });
      expect(text.stdout).toMatch(
        new RegExp(
          `^${id}: aborted \\(mode abort, reason "cli", at \\S+\\), \\d+ ms left; outcome: stopped by ${worker.id} at \\S+Z\\n$`,
        ),
      );
    } finally {
      await worker.stop();
      await broker.close();
      await abortable.close();
    }
  });

  it('watch prints outcomes as they are reported, alongside the aborts', async () => {
    const prefix = uniquePrefix();
    const backend = new RedisBackend({ client: server.client(), prefix });
    const abortable = new Abortable({ backend });
    try {
      const child = startBin(cli, ['watch', 'job-9', '--json', '--url', server.url, '--prefix', prefix]);
      const done = finished(child);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      await until(() => output.includes('"watching"'), 'watching');
      await until(
        async () => (await channelsUnder(admin, 0, prefix)).length === 2,
        'mark and outcome watched',
      );
      await abortable.abort('job-9');
      await until(() => output.includes('"type":"abort"'), 'abort printed');
      await abortable.reportOutcome({ id: 'job-9', outcome: 'skipped', workerId: 'w-7' });
      await until(() => output.includes('"type":"outcome"'), 'outcome printed');
      child.kill('SIGINT');
      const run = await done;
      expect(run.code).toBe(0);
      expect(jsonLines(run.stdout).map(({ seenAt: _seenAt, at: _at, ...line }) => line)).toEqual([
        { type: 'watching', ids: ['job-9'] },
        { type: 'abort', id: 'job-9', mode: 'abort', abortTimeout: 0 },
        { type: 'outcome', id: 'job-9', outcome: 'skipped', workerId: 'w-7' },
        { type: 'end', watchedIds: 0 },
      ]);
      expect(await channelsUnder(admin, 0, prefix)).toEqual([]);
    } finally {
      await abortable.close();
    }
  });
});

describe('examples/cli.sh', () => {
  it('runs to completion against a server, with the bin on PATH', async () => {
    const binDir = join(cli.dir, 'bin');
    mkdirSync(binDir, { recursive: true });
    symlinkSync(cli.bin, join(binDir, 'rx-abort'));
    const script = new URL('../../examples/cli.sh', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)('sh', [script], {
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, REDIS_URL: server.url },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^pass {2}round-trip/m);
    expect(stdout).toMatch(
      /^aborted job-1 \(mode abort, window 60000 ms, reason "from examples\/cli\.sh"\)$/m,
    );
    expect(stdout).toMatch(
      /^job-1: aborted \(mode abort, reason "from examples\/cli\.sh", at \S+\), \d+ ms left; no outcome reported$/m,
    );
    expect(stdout).toMatch(/^job-2: no outcome within 500 ms .*\nno worker acted on job-2$/m);
    expect(stdout).toMatch(/"type":"abort","id":"job-3","mode":"cancel"/);
    expect(stdout).toMatch(/\{"type":"end","watchedIds":0\}\n$/);
  });
});
