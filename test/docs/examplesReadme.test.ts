// examples/README.md lists every program of examples/ and says which need a Redis: those whose header says
// so ("needs a Redis", or a `// run: redis` line). Where the tests run each is in that README.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../examples/', import.meta.url);
const readme = readFileSync(new URL('README.md', dir), 'utf8');
const programs = readdirSync(dir)
  .filter((name) => /\.(ts|sh)$/.test(name))
  .sort();

/** The leading comment lines of a program (after a shebang). */
const header = (name: string): string =>
  readFileSync(new URL(name, dir), 'utf8')
    .split('\n')
    .filter((line, index) => !(index === 0 && line.startsWith('#!')))
    .join('\n')
    .match(/^(?:(?:\/\/|#).*\n)+/)?.[0] ?? '';

/** The table row of `name` in the README. */
const row = (name: string): string | undefined =>
  readme.split('\n').find((line) => line.startsWith(`| [\`${name}\`](${name})`));

describe('examples/README.md', () => {
  it('has a row for every program of examples/', () => {
    expect(programs).toEqual(expect.arrayContaining(['bullmq.ts', 'cli.sh', 'demo.ts', 'isolation.ts']));
    expect(programs.filter((name) => row(name) === undefined)).toEqual([]);
  });

  it('marks exactly the programs that need a Redis, and claims no Redis-free run for all of them', () => {
    const needRedis = programs.filter((name) =>
      /needs a Redis|^(\/\/|#) run:.*\bredis\b/m.test(header(name)),
    );
    expect(needRedis).toEqual(['bullmq.ts', 'cli.sh']);
    const marked = programs.filter((name) => /\*\*Redis\*\*/.test(row(name) ?? ''));
    expect(marked).toEqual(needRedis);
    expect(readme).not.toMatch(/each runnable on its own[^.]*no Redis/);
  });

  it('names the test that runs each program that needs a Redis', () => {
    for (const [program, test] of [
      ['bullmq.ts', 'test/integration/bullmq/example.test.ts'],
      ['cli.sh', 'test/cli/cli.test.ts'],
    ] as const) {
      expect(readme).toContain(`\`${program}\``);
      expect(readme).toContain(`(../${test})`);
      expect(readFileSync(new URL(`../../${test}`, import.meta.url), 'utf8')).toContain(
        `examples/${program}`,
      );
    }
  });
});
