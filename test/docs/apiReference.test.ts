// The README tells a newcomer where the API reference is, before its first section, and what it says is
// true: `npm run docs` runs TypeDoc, which writes docs/api/ (index.html), and the generated pages are not
// checked in.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe("README's API reference line", () => {
  it('is above the first section, and names the command and the page', () => {
    const top = read('README.md').split(/^## /m)[0] ?? '';
    expect(top).toMatch(/\*\*API reference\*\*/);
    expect(top).toContain('`npm run docs`');
    expect(top).toContain('[`docs/api/index.html`](docs/api/index.html)');
  });

  it('is accurate: the script runs TypeDoc into docs/api, which is not committed', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.docs).toBe('typedoc');
    expect((JSON.parse(read('typedoc.json')) as { out: string }).out).toBe('docs/api');
    expect(read('.gitignore').split('\n')).toContain('docs/api/');
  });
});
