import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { permissionNeeds } from '../../../../src/backends/redis/diagnosis/permissions.js';

const ACL_DOC = readFileSync(new URL('../../../integration/hardening/ACL.md', import.meta.url), 'utf8');
const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

describe("doctor's permission check", () => {
  it('asks for exactly the commands of the documented least-privilege user (ACL.md and README)', () => {
    const documented = (text: string): string[] =>
      (/^ACL SETUSER rx-abort .*$/m.exec(text)?.[0] ?? '').split(' ').filter((rule) => /^\+/.test(rule));
    const required = permissionNeeds('rx-abort:', 0)
      .filter((need) => need.required)
      .map((need) => need.rule);
    expect(required.sort()).toEqual(documented(ACL_DOC).sort());
    expect(required.sort()).toEqual(documented(README).sort());
  });

  it('adds +select for another database, and tries keys and channels under the prefix', () => {
    const needs = permissionNeeds('app:', 3);
    expect(needs.filter((need) => need.required).map((need) => need.rule)).toContain('+select');
    const get = needs.find((need) => need.rule === '+get');
    const subscribe = needs.find((need) => need.rule === '+subscribe');
    expect(get?.command[1]).toMatch(/^app:\n/);
    expect(subscribe?.command[1]).toMatch(/^__keyspace@3__:app:\n/);
  });
});
