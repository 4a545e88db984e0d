// The advice a failure comes with fits who reads it: the library's RedisAuthError fits the server's reply
// (a wrong password, or none given), and the command line speaks of --url and `rx-abort doctor --fix`
// rather than of options it does not have, naming the server's reply once. Against a redis-server this file
// starts with a password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, RedisAuthError, RedisBackend } from '../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js';
import { type BuiltCli, buildCli, jsonLines, runBin } from './support/buildCli.js';

let cli: BuiltCli;
let server: RedisServerHandle;
beforeAll(async () => {
  cli = buildCli();
  server = await startRedisServer({ args: ['--requirepass', 'secret', '--notify-keyspace-events', 'K$'] });
});
afterAll(async () => {
  await server?.stop();
  cli?.remove();
});

const URL_FORM = 'redis://<user>:<password>@<host>:<port>';

describe('RedisAuthError', () => {
  it('says what fits the reply: check the credentials for WRONGPASS, give them for NOAUTH', () => {
    const wrong = new RedisAuthError('GET', { cause: new Error('WRONGPASS invalid username-password pair') });
    expect(wrong.message).toBe(
      'Redis refused the credentials of GET (WRONGPASS invalid username-password pair). Check the user name ' +
        'and password (user:password@ in the URL, or redisOptions username/password) and that the user is ' +
        'enabled; if they were rotated, restart with the current ones. Retrying with the same credentials ' +
        'cannot succeed.',
    );
    const none = new RedisAuthError('GET', { cause: new Error('NOAUTH Authentication required.') });
    expect(none.message).toMatch(
      /^Redis requires a password for GET \(NOAUTH Authentication required\.\), and the client gave none\. Give it the credentials/,
    );
    for (const error of [wrong, none]) expect(error.message).not.toMatch(/was changed/);
  });

  it('is what a backend with a wrong password rejects with, the reply named once', async () => {
    const backend = RedisBackend.fromUrl(`redis://:wrong@127.0.0.1:${server.port}`, {
      redisOptions: { retryStrategy: () => 50 },
    });
    const abortable = new Abortable({ backend });
    try {
      const error = await abortable.abort('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisAuthError);
      expect((error as Error).message).toMatch(
        /^Redis refused the credentials of .* \(WRONGPASS .*\)\. Check/,
      );
      expect((error as Error).message.match(/WRONGPASS/g)).toHaveLength(1);
    } finally {
      await abortable.close();
    }
  });
});

describe('the command line with refused credentials', () => {
  it('a wrong password: abort, status and watch exit 1 with the reply once and advice about --url', async () => {
    const url = `redis://:wrong@127.0.0.1:${server.port}`;
    const runs = await Promise.all(
      (['abort', 'status', 'watch'] as const).map(async (command) => ({
        command,
        run: await runBin(cli, [command, 'job-1', '--url', url]),
      })),
    );
    for (const { command, run } of runs) {
      expect(run.code, command).toBe(1);
      expect(run.stdout, command).toBe('');
      expect(run.stderr, command).toMatch(
        new RegExp(
          `^rx-abort ${command}: Redis refused the credentials \\(WRONGPASS [^)]*\\)\\n  fix: check the user and password in --url or REDIS_URL \\(redis://<user>:<password>@<host>:<port>\\), and that the user is enabled\\n$`,
        ),
      );
      expect(run.stderr.match(/WRONGPASS/g), command).toHaveLength(1);
      expect(run.stderr, command).not.toMatch(/redisOptions|restart|was changed/);
    }
  });

  it('no password: the reply (NOAUTH) and how to give one', async () => {
    const run = await runBin(cli, ['status', 'job-1', '--url', server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^rx-abort status: Redis requires a password \(NOAUTH [^\n]*\)\n {2}fix: give the user and password in --url or REDIS_URL: redis:\/\/<user>:<password>@<host>:<port>\n$/,
    );
    expect(run.stderr.match(/NOAUTH/g)).toHaveLength(1);
  });

  it('doctor fails the connection check with the reply and the fix, not "cannot reach the server"', async () => {
    const [wrong, none] = await Promise.all([
      runBin(cli, ['doctor', '--json', '--url', `redis://:wrong@127.0.0.1:${server.port}`]),
      runBin(cli, ['doctor', '--json', '--url', server.url]),
    ]);
    expect(wrong.code).toBe(1);
    expect(jsonLines(wrong.stdout)[0]).toMatchObject({
      name: 'connection',
      status: 'fail',
      message: expect.stringMatching(/^the server refused the credentials \(WRONGPASS [^)]*\)$/),
      fix: `check the user and password in the URL (${URL_FORM}) and that the user is enabled (ACL LIST)`,
    });
    expect(none.code).toBe(1);
    expect(jsonLines(none.stdout)[0]).toMatchObject({
      name: 'connection',
      status: 'fail',
      message: expect.stringMatching(/^the server requires a password, and none was given \(NOAUTH /),
      fix: `give the user and password in the URL: ${URL_FORM}`,
    });
    // With the right password it answers.
    const right = await runBin(cli, [
      'doctor',
      '--json',
      '--url',
      `redis://:secret@127.0.0.1:${server.port}`,
    ]);
    expect(jsonLines(right.stdout)[0]).toMatchObject({ name: 'connection', status: 'pass' });
  });
});
