// A Redis ACL user limited to its own key prefix and keyspace channels, with the minimal command set
// documented in ACL.md (read from that file, so the documentation is what is tested).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Abort,
  Abortable,
  NotificationsDisabledError,
  RedisAuthError,
  RedisBackend,
  type RedisBackendUrlOptions,
  RedisUnavailableError,
} from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';
import { channelOf, channelsUnder, isProbeKey, keysUnder, sleep, until, withTimeout } from './support.js';

const DOC = readFileSync(new URL('./ACL.md', import.meta.url), 'utf8');
const DOC_LINE = /^ACL SETUSER rx-abort .*$/m.exec(DOC)?.[0];
const MINIMAL_COMMANDS = ['+get', '+set', '+multi', '+exec', '+subscribe', '+unsubscribe'];

/** The ACL rules of ACL.md for `prefix` in `db`, as arguments of `ACL SETUSER <user>`. */
function documentedRules(prefix: string, password: string, db = 0): string[] {
  if (DOC_LINE === undefined) throw new Error('ACL.md has no "ACL SETUSER rx-abort ..." line');
  return DOC_LINE.split(' ')
    .slice(3) // ACL SETUSER rx-abort
    .map((rule) =>
      rule
        .replace('>CHANGE-ME', `>${password}`)
        .replace('__keyspace@0__:', `__keyspace@${db}__:`)
        .replace('rx-abort:', prefix),
    );
}

const READY_CHECK_WARNING = /Skipping the ready check because INFO command fails/;

describe('RedisBackend with an ACL user limited to its prefix (minimal command set)', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const cleanups: Array<() => unknown> = [];
  // Without +info ioredis warns on each connection that it skips its ready check (see ACL.md): expected here.
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  });

  beforeAll(async () => {
    // An administrator enabled the notifications; the ACL user may not touch CONFIG.
    server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
    admin = server.client();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await admin.config('SET', 'notify-keyspace-events', 'K$');
    warn.mockRestore();
  });
  afterAll(() => server.stop());

  /** Creates an ACL user (ACL.md's rules plus `extra`, minus `without`) and a backend connected as it. */
  async function userBackend(
    options: {
      db?: number;
      extra?: string[];
      without?: string;
      drop?: (rule: string) => boolean;
      backend?: RedisBackendUrlOptions;
      password?: string;
    } = {},
  ) {
    const user = `u${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    const prefix = `acl:${randomUUID().slice(0, 8)}:`;
    const db = options.db ?? 0;
    const rules = [...documentedRules(prefix, password, db), ...(options.extra ?? [])].filter(
      (rule) => rule !== options.without && !options.drop?.(rule),
    );
    await admin.call('ACL', 'SETUSER', user, ...rules);
    cleanups.push(() => admin.call('ACL', 'DELUSER', user));
    const url = `redis://${user}:${encodeURIComponent(options.password ?? password)}@127.0.0.1:${server.port}/${db}`;
    const backend = RedisBackend.fromUrl(url, {
      prefix,
      commandTimeout: 1000,
      probeTimeout: 300,
      notificationCheckInterval: 0,
      ...options.backend,
    });
    const errors: unknown[] = [];
    const errorSubscription = backend.errors$.subscribe((error) => errors.push(error));
    const abortable = new Abortable({ backend });
    cleanups.push(async () => {
      await abortable.close();
      errorSubscription.unsubscribe();
    });
    return { user, password, prefix, db, url, backend, abortable, errors };
  }

  const aclDenials = async (user: string): Promise<string[]> => {
    const log = (await admin.call('ACL', 'LOG')) as unknown[][];
    return log
      .map((entry) => Object.fromEntries(chunkPairs(entry)) as Record<string, unknown>)
      .filter((entry) => entry.username === user)
      .map((entry) => `${String(entry.reason)}:${String(entry.object)}`);
  };

  it('ACL.md documents exactly the minimal command set, with key and channel patterns', () => {
    const rules = documentedRules('p:', 'pw');
    expect(rules.filter((rule) => rule.startsWith('+'))).toEqual(MINIMAL_COMMANDS);
    expect(rules).toContain('~p:*');
    expect(rules).toContain('&__keyspace@0__:p:*');
    expect(rules).toContain('-@all');
  });

  it('works with the minimal ACL through fromUrl(redis://user:pass@…/0): abort, abort$, aborted, abortSignal', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const { user, prefix, backend, abortable, errors } = await userBackend();
    await backend.ready(); // CONFIG is denied: verified with the probe key

    const fired = firstValueFrom(abortable.abort$('job-1').pipe(timeout(5000)));
    const signal = abortable.abortSignal('job-2');
    cleanups.push(() => signal.release());
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 2, 'both watches subscribed');
    await abortable.abort('job-1', { reason: 'by acl user' });
    expect(await fired).toMatchObject({ id: 'job-1', mode: 'abort', reason: 'by acl user' });
    await abortable.abort(['job-2', 'job-3'], { abortTtl: 60_000, abortTimeout: 5 }); // MULTI/EXEC
    await until(() => signal.aborted, 'abortSignal aborted');
    expect(signal.reason).toBeInstanceOf(Abort);
    expect(await abortable.aborted('job-3')).toMatchObject({ id: 'job-3', mode: 'abort', abortTimeout: 5 });
    await abortable.abort('job-4', { mode: 'cancel' });
    expect(await abortable.aborted('job-4')).toMatchObject({ mode: 'cancel' });
    expect(await abortable.aborted('never')).toBeNull();

    // Released watches give their channels back (UNSUBSCRIBE is allowed).
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 0, 'channels released');
    expect(backend.watchedIds).toBe(0);
    // Its keys: the marks, and at most the probe key (which expires by itself).
    const keys = (await keysUnder(admin, prefix)).filter((key) => !isProbeKey(key)).sort();
    expect(keys).toEqual(['job-1', 'job-2', 'job-3', 'job-4'].map((id) => prefix + id));
    // The only denials: CONFIG GET (the backend then probes), INFO (ioredis's ready check), the PUBLISH
    // of the first abort (the minimal set has no +publish: marks are then written alone, two hops) and the
    // MGET and EXISTS of the first batched re-read (no +mget +exists: reads go key by key with GETs).
    expect(new Set(await aclDenials(user))).toEqual(
      new Set(['command:config|get', 'command:info', 'command:publish', 'command:mget', 'command:exists']),
    );
    expect(errors).toEqual([]);
    for (const [message] of warn.mock.calls) expect(String(message)).toMatch(READY_CHECK_WARNING);
  });

  /** Calls of one command on the server so far (INFO commandstats). */
  const calls = async (command: string): Promise<number> => {
    const info = await admin.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  };

  it('with +publish a watcher gets the mark in one hop: no GET after the abort', async () => {
    const { user, prefix, abortable, errors } = await userBackend({ extra: ['+publish'] });
    await admin.call('ACL', 'LOG', 'RESET');
    const fired = firstValueFrom(abortable.abort$('hop-1').pipe(timeout(5000)));
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 1, 'watch subscribed');
    await until(async () => (await calls('get')) > 0, 'the re-read after subscribing');
    await sleep(50);
    const [getsBefore, publishesBefore] = [await calls('get'), await calls('publish')];
    await abortable.abort('hop-1', { reason: 'one hop' });
    expect(await fired).toMatchObject({ id: 'hop-1', mode: 'abort', reason: 'one hop' });
    expect(await calls('publish')).toBe(publishesBefore + 1);
    expect(await calls('get')).toBe(getsBefore);
    expect(await aclDenials(user)).not.toContain('command:publish');
    expect(errors).toEqual([]);
  });

  it('without +publish it finds out once, writes each mark once, and keeps working in two hops', async () => {
    const { user, prefix, abortable, errors } = await userBackend();
    const ids = ['two-1', 'two-2', 'two-3'];
    const fired = Promise.all(ids.map((id) => firstValueFrom(abortable.abort$(id).pipe(timeout(5000)))));
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 3, 'watches subscribed');
    await sleep(50); // the notification probe (a SET of its own) is done
    await admin.call('ACL', 'LOG', 'RESET');
    await admin.config('RESETSTAT');
    await abortable.abort('two-1');
    await abortable.abort(['two-2', 'two-3']);
    expect((await fired).map((event) => event.id)).toEqual(ids);
    // One refused PUBLISH (the first abort's MULTI, which Redis then discarded whole), none after it.
    const log = ((await admin.call('ACL', 'LOG')) as unknown[][])
      .map((entry) => Object.fromEntries(chunkPairs(entry)) as Record<string, unknown>)
      .filter((entry) => entry.username === user && entry.object === 'publish');
    expect(log.map((entry) => entry.count)).toEqual([1]);
    expect(await calls('set')).toBe(3);
    expect(await calls('publish')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('carries abort outcomes with the same minimal ACL: reportOutcome, outcome$, outcome, abortAndWait', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const { user, prefix, backend, abortable, errors } = await userBackend();
    await backend.ready();
    // A stand-in worker on the same user: reports 'stopped' when job-1 is aborted.
    const worker = abortable.abort$('job-1').subscribe((event) => {
      void abortable.reportOutcome({ id: event.id, outcome: 'stopped', workerId: 'w' });
    });
    cleanups.push(() => worker.unsubscribe());
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 1, 'mark watch subscribed');
    const [stopped, unknown] = await abortable.abortAndWait(['job-1', 'job-2'], { timeout: 500 });
    expect(stopped).toMatchObject({ id: 'job-1', outcome: 'stopped', workerId: 'w' });
    expect(unknown).toBeNull();
    expect(await abortable.outcome('job-1')).toMatchObject({ outcome: 'stopped' });
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 0, 'channels released');
    expect(backend.watchedIds).toBe(0);
    const keys = (await keysUnder(admin, prefix)).filter((key) => !isProbeKey(key)).sort();
    expect(keys).toEqual([`${prefix}\noutcome:job-1`, `${prefix}job-1`, `${prefix}job-2`].sort());
    // The PUBLISH of the abort and the batched re-read are refused (no +publish +mget +exists in the
    // minimal set): two hops and GETs, as above.
    expect(new Set(await aclDenials(user))).toEqual(
      new Set(['command:config|get', 'command:info', 'command:publish', 'command:mget', 'command:exists']),
    );
    expect(errors).toEqual([]);
  });

  it('needs every command of the minimal set: without any one of them the backend does not work', async () => {
    // A bounded scenario covering every path; a hang counts as a failure (bounded by the race).
    const scenario = async (without: string): Promise<'works' | string> => {
      const { prefix, backend, abortable } = await userBackend({ without });
      try {
        await withTimeout(backend.ready(), 1500, 'ready()');
        const fired = withTimeout(firstValueFrom(abortable.abort$('x')), 1500, 'abort$');
        fired.catch(() => {}); // awaited below; may fail before that
        await until(async () => (await channelsUnder(admin, 0, prefix)).length === 1, 'subscribed', 1500);
        await abortable.abort('x');
        await fired;
        await abortable.abort(['y', 'z']);
        if ((await abortable.aborted('z')) === null) return 'z was not read back';
        await until(async () => (await channelsUnder(admin, 0, prefix)).length === 0, 'released', 1500);
        return 'works';
      } catch (error) {
        return String(error);
      } finally {
        await abortable.close();
      }
    };
    for (const command of MINIMAL_COMMANDS) {
      expect(await scenario(command), `without ${command}`).not.toBe('works');
    }
  });

  it('cannot reach keys or channels outside its prefix', async () => {
    const { user, password, prefix, abortable } = await userBackend();
    await admin.set('other:secret', 'top');
    await abortable.abort('mine');
    const asUser = (): Redis => {
      const client = new Redis({
        port: server.port,
        host: '127.0.0.1',
        username: user,
        password,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
      });
      cleanups.push(() => client.disconnect());
      return client;
    };
    const client = asUser();
    const denied = async (run: () => Promise<unknown>): Promise<string> => {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, 'the command must be refused').toBeInstanceOf(Error);
      return (error as Error).message;
    };
    // Its own keys work...
    expect(await client.get(`${prefix}mine`)).not.toBeNull();
    // ...nothing else does.
    const refusals = [
      await denied(() => client.get('other:secret')),
      await denied(() => client.set('other:x', '1')),
      await denied(() => client.set(`${prefix.slice(0, -1)}`, '1')), // the prefix without its last character
      await denied(() => client.del(`${prefix}mine`)),
      await denied(() => client.keys('*')),
      await denied(() => client.scan('0')),
      await denied(() => client.mget(`${prefix}mine`, 'other:secret')),
      await denied(() => client.config('SET', 'notify-keyspace-events', '')),
      await denied(() => client.config('GET', 'notify-keyspace-events')),
      await denied(() => client.flushall()),
      await denied(() => client.eval('return 1', 0)),
      await denied(() => client.publish(channelOf(0, `${prefix}mine`), 'set')),
      await denied(() => asUser().subscribe(channelOf(0, 'other:secret'))),
      await denied(() => asUser().subscribe(channelOf(1, `${prefix}mine`))),
      await denied(() => asUser().psubscribe('__keyspace@0__:*')),
      await denied(() => asUser().subscribe('__keyevent@0__:set')),
    ];
    for (const message of refusals) expect(message).toMatch(/NOPERM/);
    expect(await admin.get('other:secret')).toBe('top');
    expect(await admin.exists('other:x', prefix.slice(0, -1))).toBe(0);
  });

  it('a backend whose prefix lies outside the user’s keys fails with NOPERM and writes nothing', async () => {
    const { url } = await userBackend();
    const backend = RedisBackend.fromUrl(url, {
      prefix: `elsewhere:${randomUUID().slice(0, 8)}:`,
      commandTimeout: 1000,
      redisOptions: { enableReadyCheck: false },
    });
    cleanups.push(() => backend.close());
    const abortable = new Abortable({ backend });
    const error = await abortable.abort('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/NOPERM/);
    expect(error).not.toBeInstanceOf(RedisUnavailableError);
    expect(await keysUnder(admin, backend.prefix)).toEqual([]);
  });

  it('fails with NotificationsDisabledError (ready, abort$, abortSignal) when notifications are off', async () => {
    await admin.config('SET', 'notify-keyspace-events', '');
    const { backend, abortable, prefix } = await userBackend();
    const error = await backend.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationsDisabledError);
    expect((error as Error).message).toMatch(/notify-keyspace-events/);
    expect((error as Error).message).toMatch(/K\$/);
    const watchError = await firstValueFrom(abortable.abort$('x')).catch((e: unknown) => e);
    expect(watchError).toBeInstanceOf(NotificationsDisabledError);
    const signal = abortable.abortSignal('y');
    await until(() => signal.aborted, 'signal aborted with the configuration error');
    expect(signal.reason).toBeInstanceOf(NotificationsDisabledError);
    expect(backend.watchedIds).toBe(0);
    expect(await admin.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', '']);
    await until(async () => (await channelsUnder(admin, 0, prefix)).length === 0, 'probe channel released');
  });

  it('with +config|get it verifies without a probe key, and names the missing flags when they are off', async () => {
    const on = await userBackend({ extra: ['+config|get'] });
    await on.backend.ready();
    const seen = firstValueFrom(on.abortable.abort$('x').pipe(timeout(5000)));
    await until(async () => (await channelsUnder(admin, 0, on.prefix)).length === 1, 'subscribed');
    await on.abortable.abort('x');
    expect(await seen).toMatchObject({ id: 'x' });
    expect((await keysUnder(admin, on.prefix)).filter(isProbeKey)).toEqual([]);

    await admin.config('SET', 'notify-keyspace-events', 'Ex');
    const off = await userBackend({ extra: ['+config|get'] });
    const error = await off.backend.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationsDisabledError);
    expect((error as Error).message).toMatch(/notify-keyspace-events is "[Ex]{2}"/);
    expect(String((error as Error).cause)).toMatch(/NOPERM/); // CONFIG SET was refused
  });

  it('passes a password and database 3 through fromUrl: marks in db 3, watches on __keyspace@3__:', async () => {
    const { backend, abortable, prefix } = await userBackend({ db: 3, extra: ['+select'] });
    await backend.ready();
    const seen = firstValueFrom(abortable.abort$('in-3').pipe(timeout(5000)));
    await until(async () => (await channelsUnder(admin, 3, prefix)).length === 1, 'subscribed in db 3');
    expect(await channelsUnder(admin, 0, prefix)).toEqual([]);
    await abortable.abort('in-3');
    expect(await seen).toMatchObject({ id: 'in-3' });
    const db3 = server.client({ db: 3 });
    expect(await db3.exists(`${prefix}in-3`)).toBe(1);
    expect(await admin.exists(`${prefix}in-3`)).toBe(0); // admin is in db 0
  });

  it('rejects abort() at once with RedisAuthError carrying the WRONGPASS reply when the password is wrong', async () => {
    const { backend, abortable } = await userBackend({
      password: 'not-the-password',
      backend: { redisOptions: { retryStrategy: () => 50 } },
    });
    const error = await abortable.abort('x').catch((e: unknown) => e);
    // Waiting cannot help (the server refuses these credentials), so it does not wait for commandTimeout.
    expect(error).toBeInstanceOf(RedisAuthError);
    expect(String((error as Error).cause)).toMatch(/WRONGPASS/);
    expect(backend.watchedIds).toBe(0);
    expect(await admin.keys('acl:*')).not.toContain(`${backend.prefix}x`);
  });

  // BUG (see PROPOSED.patch): a NOPERM during the notification probe is retried forever, so ready() never
  // settles and every watch waits silently; only errors$ says why. It should fail like a misconfiguration.
  it('fails clearly, instead of hanging, when the user lacks the channel permission', async () => {
    const { backend, abortable } = await userBackend({ drop: (rule) => rule.startsWith('&') });
    const outcome = await withTimeout(backend.ready(), 4000, 'ready()').then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(String(outcome)).not.toMatch(/^Error: hang/);
    expect(outcome).toBeInstanceOf(Error);
    expect(`${(outcome as Error).message} ${String((outcome as Error).cause)}`).toMatch(/NOPERM/);
    const watch = await withTimeout(firstValueFrom(abortable.abort$('x')), 4000, 'abort$').catch(
      (e: unknown) => e,
    );
    expect(String(watch)).not.toMatch(/^Error: hang/);
    expect(backend.watchedIds).toBe(0);
  });

  // BUG (see PROPOSED.patch): without +get a watch's read fails with NOPERM, is retried 8 times over ~16 s
  // and then dropped silently: the watcher never hears of any abort, and nothing tells it why.
  it('errors a watch clearly, instead of waiting silently, when the user lacks +get', async () => {
    const { backend, abortable } = await userBackend({ without: '+get' });
    await backend.ready(); // the probe needs only SET and SUBSCRIBE
    // The read after the subscription is confirmed already fails: no abort is needed to see it.
    const watch = withTimeout(firstValueFrom(abortable.abort$('x')), 4000, 'abort$').catch((e: unknown) => e);
    await abortable.abort('x');
    const outcome = await watch;
    expect(String(outcome)).not.toMatch(/^Error: hang/);
    expect(String(outcome)).toMatch(/NOPERM/);
    expect(backend.watchedIds).toBe(0);
    expect(String(await abortable.aborted('x').catch((e: unknown) => e))).toMatch(/NOPERM/);
  });
});

function chunkPairs(entry: unknown[]): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < entry.length; i += 2) pairs.push([String(entry[i]), entry[i + 1]]);
  return pairs;
}
