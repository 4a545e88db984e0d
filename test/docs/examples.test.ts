import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every code example a user can read must compile: the ```ts blocks of README.md and the TSDoc `@example`
 * blocks of src/. Each example is written as an ES module (`.mts`, top-level await allowed) into a temp
 * dir and all are type-checked in one TypeScript program, with 'rx-abort' mapped to src/index.ts (and 'rx-abort/bullmq' to src/bullmq/index.ts).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Example {
  /** Where the example is, for people: `src/core/abort.ts:17 (abort)`. */
  readonly label: string;
  /** The file it comes from, relative to the repository root. */
  readonly file: string;
  /** The line of that file its first code line is on (1-based). */
  readonly line: number;
  readonly code: string;
}

const FENCE = /^\s*```\s*([\w-]*)/;
const TS_FENCE = /^(ts|typescript|mts)$/;

/** The ```ts blocks among `lines`, each with the index of its first code line. */
function fencedBlocks(lines: readonly string[]): { start: number; code: string[] }[] {
  const blocks: { start: number; code: string[] }[] = [];
  let current: { start: number; code: string[] } | undefined;
  let inOtherFence = false;
  for (const [index, line] of lines.entries()) {
    const fence = FENCE.exec(line);
    if (current !== undefined) {
      if (fence !== null && fence[1] === '') {
        blocks.push(current);
        current = undefined;
      } else current.code.push(line);
    } else if (inOtherFence) {
      if (fence !== null) inOtherFence = false;
    } else if (fence !== null) {
      if (TS_FENCE.test(fence[1] ?? '')) current = { start: index + 1, code: [] };
      else inOtherFence = true;
    }
  }
  return blocks;
}

/** The ```ts blocks of a Markdown file. */
function markdownExamples(file: string, text: string): Example[] {
  return fencedBlocks(text.split('\n')).map(({ start, code }) => ({
    label: `${file}:${start + 1}`,
    file,
    line: start + 1,
    code: code.join('\n'),
  }));
}

const DECLARED =
  /(?:class|function|interface|type|const|let|var|enum)\s+([\w$]+)|^\s*(?:static\s+|get\s+|async\s+)*([\w$]+)\s*[<(]/;

/** The `@example` blocks of the TSDoc comments of a TypeScript file (` * ` prefixes stripped). */
function tsdocExamples(file: string, text: string): Example[] {
  const examples: Example[] = [];
  const lines = text.split('\n');
  let index = 0;
  while (index < lines.length) {
    if (!/^\s*\/\*\*/.test(lines[index] ?? '')) {
      index++;
      continue;
    }
    const startLine = index;
    const comment: string[] = [];
    for (; index < lines.length; index++) {
      const raw = lines[index] ?? '';
      const ends = raw.includes('*/');
      const body = raw
        .replace(/^\s*\/\*\*\s?/, '')
        .replace(/\s*\*\/.*$/, '')
        .replace(/^\s*\*(?: |$)/, '');
      comment.push(body);
      if (ends) break;
    }
    index++;
    const owner = lines.slice(index).find((line) => line.trim() !== '') ?? '';
    const ownerMatch = DECLARED.exec(owner);
    const ownerName = ownerMatch?.[1] ?? ownerMatch?.[2];

    for (let at = 0; at < comment.length; at++) {
      if (!/^\s*@example\b/.test(comment[at] ?? '')) continue;
      const body: string[] = [];
      let inFence = false;
      let end = at + 1;
      for (; end < comment.length; end++) {
        const line = comment[end] ?? '';
        if (FENCE.test(line)) inFence = !inFence;
        if (!inFence && /^\s*@\w+/.test(line)) break;
        body.push(line);
      }
      const blocks = body.some((line) => FENCE.test(line)) ? fencedBlocks(body) : [{ start: 0, code: body }];
      for (const block of blocks) {
        if (block.code.every((line) => line.trim() === '')) continue; // text on the @example line is a title
        const line = startLine + at + 1 + block.start + 1;
        examples.push({
          label: `${file}:${line}${ownerName === undefined ? '' : ` (${ownerName})`}`,
          file,
          line,
          code: block.code.join('\n'),
        });
      }
      at = end - 1;
    }
  }
  return examples;
}

const sourceFiles = (directory: string): string[] =>
  readdirSync(join(root, directory), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(directory, name))
    .sort();

const readmePath = join(root, 'README.md');
const hasReadme = existsSync(readmePath);
const readmeExamples = hasReadme ? markdownExamples('README.md', readFileSync(readmePath, 'utf8')) : [];
const tsdoc = sourceFiles('src').flatMap((file) =>
  tsdocExamples(file, readFileSync(join(root, file), 'utf8')),
);
const examples = [...readmeExamples, ...tsdoc];

let directory: string;
/** Compile errors by example label. */
const errors = new Map<string, string[]>();

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'rx-abort-examples-'));
  // Bare imports (rxjs, ioredis) resolve from the repository's node_modules.
  symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'), 'dir');
  const files = examples.map((example, index) => {
    const slug = example.file.replace(/[^\w]+/g, '_');
    const path = join(directory, `${String(index).padStart(3, '0')}-${slug}-${example.line}.mts`);
    writeFileSync(path, `${example.code}\nexport {};\n`);
    return path;
  });
  const byFile = new Map(files.map((path, index) => [path, examples[index]!]));

  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    baseUrl: root,
    paths: { 'rx-abort': ['src/index.ts'], 'rx-abort/bullmq': ['src/bullmq/index.ts'] },
    typeRoots: [join(root, 'node_modules/@types')],
  };
  const program = ts.createProgram(files, options);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const example = diagnostic.file === undefined ? undefined : byFile.get(diagnostic.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (example === undefined || diagnostic.file === undefined || diagnostic.start === undefined) {
      // Not inside an example (e.g. a src file that does not compile): report it on every example.
      const where = diagnostic.file === undefined ? '' : `${relative(root, diagnostic.file.fileName)}: `;
      errors.set('*', [...(errors.get('*') ?? []), `${where}TS${diagnostic.code}: ${message}`]);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const list = errors.get(example.label) ?? [];
    list.push(`${example.file}:${example.line + line} TS${diagnostic.code}: ${message}`);
    errors.set(example.label, list);
  }
}, 60_000);

afterAll(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

describe('example extraction', () => {
  it('takes the ts blocks of Markdown, with the line of their first code line', () => {
    const text = [
      '# Title',
      '```sh',
      'npm i rx-abort',
      '```',
      '',
      '```ts',
      'const a = 1;',
      '```',
      '```typescript',
      'b;',
      '```',
    ];
    expect(markdownExamples('README.md', text.join('\n'))).toEqual([
      { label: 'README.md:7', file: 'README.md', line: 7, code: 'const a = 1;' },
      { label: 'README.md:10', file: 'README.md', line: 10, code: 'b;' },
    ]);
  });

  it('takes the @example blocks of TSDoc comments, without their prefixes, up to the next tag', () => {
    const text = [
      'import x from "y";',
      '/**',
      ' * Summary.',
      ' *',
      ' * ```text',
      ' * a diagram, not an example',
      ' * ```',
      ' * @example',
      ' * ```ts',
      ' * const a = 1;',
      ' *   indented();',
      ' * ```',
      ' * @param id - the id.',
      ' */',
      'export function first(id: string) {}',
      '  /** @example A title, not code */',
      '  second(): void {}',
    ];
    expect(tsdocExamples('src/x.ts', text.join('\n'))).toEqual([
      { label: 'src/x.ts:10 (first)', file: 'src/x.ts', line: 10, code: 'const a = 1;\n  indented();' },
    ]);
    const multiline = ['/**', ' * @example', ' * plain();', ' * @returns nothing', ' */', 'class Second {}'];
    expect(tsdocExamples('src/y.ts', multiline.join('\n'))).toEqual([
      { label: 'src/y.ts:3 (Second)', file: 'src/y.ts', line: 3, code: 'plain();' },
    ]);
  });
});

describe('doc examples compile', () => {
  it('finds the TSDoc examples of src/', () => {
    expect(tsdoc.length).toBeGreaterThan(10);
  });

  it.skipIf(!hasReadme)('finds the ts blocks of README.md', () => {
    expect(readmeExamples.length).toBeGreaterThan(0);
  });

  it('type-checks the program of examples without errors outside the examples', () => {
    expect(errors.get('*') ?? [], 'errors outside the examples').toEqual([]);
  });

  it.each(examples.map((example) => [example.label, example] as const))('%s', (_label, example) => {
    const found = errors.get(example.label) ?? [];
    expect(found, `the example at ${example.label} does not compile:\n${found.join('\n')}`).toEqual([]);
  });

  it('every failing example, in one list', () => {
    const failing = [...errors.entries()].filter(([label]) => label !== '*');
    expect(
      failing.length,
      `${failing.length} of ${examples.length} examples do not compile:\n` +
        failing
          .map(([label, list]) => `  ${label}\n${list.map((error) => `    ${error}`).join('\n')}`)
          .join('\n'),
    ).toBe(0);
  });
});
