// The command line's parsing, help and usage errors, in process (no Redis is reached: every case fails
// before a command is sent, and REDIS_URL points at a closed port). test/cli/cli.test.ts runs the built bin.
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { USAGE } from '../../src/cli/usage.js';
import { freePort } from '../support/redisServer.js';

let env: Record<string, string>;
beforeAll(async () => {
  env = { REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    signals: { once: () => undefined, off: () => undefined },
  });
  return { code, stdout, stderr };
}

describe('runCli help', () => {
  it.each([
    [['--help'], USAGE.main],
    [['-h'], USAGE.main],
    [['help'], USAGE.main],
    [['help', 'doctor'], USAGE.doctor],
    [['abort', '--help'], USAGE.abort],
    [['abort', 'x', '-h', '--mode', 'nonsense'], USAGE.abort],
    [['--url', 'redis://h:1', 'status', '--help'], USAGE.status],
    [['watch', '--help'], USAGE.watch],
    [['doctor', '--help'], USAGE.doctor],
  ])('%j prints its help on stdout, exit 0', async (argv, usage) => {
    expect(await run(...argv)).toEqual({ code: 0, stdout: `${usage}\n`, stderr: '' });
  });

  it('every help names the global options and its own', () => {
    for (const text of Object.values(USAGE))
      expect(text).toMatch(/--url <url>[\s\S]*--prefix[\s\S]*--json[\s\S]*--help/);
    expect(USAGE.abort).toMatch(
      /--mode abort\|cancel[\s\S]*--ttl <ms>[\s\S]*--timeout <ms>[\s\S]*--reason <text>/,
    );
    expect(USAGE.doctor).toMatch(/--fix[\s\S]*--burst <n>/);
  });
});

describe('runCli usage errors', () => {
  it.each([
    [[], /no command given/, 'rx-abort --help'],
    [['--json'], /no command given in: --json/, 'rx-abort --help'],
    [['bogus'], /unknown command "bogus"/, 'rx-abort --help'],
    [['help', 'bogus'], /unknown command "bogus"/, 'rx-abort --help'],
    [['abort'], /abort needs at least one id/, 'rx-abort abort --help'],
    [['abort', 'a', '--frob'], /Unknown option '--frob'/, 'rx-abort abort --help'],
    [['abort', 'a', '--fix'], /Unknown option '--fix'/, 'rx-abort abort --help'],
    [['abort', 'a', '--ttl'], /Option '--ttl <value>' argument missing/, 'rx-abort abort --help'],
    [['abort', 'a', '--ttl', '1.5'], /--ttl must be a whole number, got "1\.5"/, 'rx-abort abort --help'],
    [['abort', 'a', '--ttl', '-5'], /--ttl/, 'rx-abort abort --help'],
    [['abort', 'a', '--timeout', '1e3'], /--timeout must be a whole number/, 'rx-abort abort --help'],
    [['abort', 'a', '--mode', 'stop'], /--mode must be abort or cancel, got "stop"/, 'rx-abort abort --help'],
    [['abort', 'a', '--ttl', '0'], /abortTtl must be/, 'rx-abort abort --help'],
    [['abort', 'a', '--reason', 'x'.repeat(5000)], /reason must be at most/, 'rx-abort abort --help'],
    [['abort', 'bad\nid'], /id\[0\]/, 'rx-abort abort --help'],
    [['status'], /status needs at least one id/, 'rx-abort status --help'],
    [['status', ''], /must not be empty/, 'rx-abort status --help'],
    [['watch', '--json'], /watch needs at least one id/, 'rx-abort watch --help'],
    [['watch', 'a', '--mode', 'abort'], /Unknown option '--mode'/, 'rx-abort watch --help'],
    [['doctor', 'extra'], /doctor takes no arguments, got extra/, 'rx-abort doctor --help'],
    [['doctor', '--burst', 'many'], /--burst must be a whole number/, 'rx-abort doctor --help'],
    [['doctor', '--burst', '0'], /--burst must be at least 1/, 'rx-abort doctor --help'],
    [
      ['status', 'a', '--command-timeout', '0'],
      /--command-timeout must be at least 1/,
      'rx-abort status --help',
    ],
    [
      ['--url', 'http://127.0.0.1:1', 'status', 'a'],
      /--url must start with redis:\/\/, rediss:\/\/ or \//,
      'rx-abort status --help',
    ],
    [
      ['status', 'a', '--url', 'not a url'],
      /--url must start with redis:\/\/, rediss:\/\/ or \//,
      'rx-abort status --help',
    ],
    [
      ['status', 'a', '--prefix', 'a*'],
      /--prefix: options\.prefix must be a string without/,
      'rx-abort status --help',
    ],
  ])('%j exits 2 with the error and a short usage on stderr', async (argv, message, help) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [first, usage, see] = result.stderr.split('\n');
    expect(first).toMatch(/^rx-abort: /);
    expect(first).toMatch(message);
    expect(usage).toMatch(/^Usage: rx-abort /);
    expect(see).toBe(`See ${help}.`);
  });

  it('takes global options before the command, and the command word after a global option value', async () => {
    expect((await run('--prefix', 'p:', '--url', 'redis://x:1', 'bogus')).stderr).toMatch(
      /unknown command "bogus"/,
    );
    expect((await run('--url=redis://x:1', 'abort', '--mode', 'x', 'a')).stderr).toMatch(/--mode must be/);
    expect((await run('--', 'help')).stdout).toBe(`${USAGE.main}\n`);
  });
});
