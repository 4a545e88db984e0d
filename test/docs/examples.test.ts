import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../support/redisServer.js';

/**
 * Every code example a user can read must compile, and every README block must run.
 *
 * - Compile: the ```ts blocks of README.md and the TSDoc `@example` blocks of src/ are written as ES modules
 *   (`.mts`, top-level await allowed) into a temp dir and type-checked in one TypeScript program, with
 *   'rx-abort' mapped to src/index.ts (and 'rx-abort/bullmq' to src/bullmq/index.ts), under each tsconfig a user may have (`module: nodenext`, and
 *   `moduleResolution: bundler`), with the `lib` the README asks for.
 * - Run: each README ```ts block is run as a child process (`node --import tsx`) and must exit by itself,
 *   with exit code 0, within {@link RUN_BOUND} ms. The words after `ts` in a fence say how:
 *   - (none): on the in-memory default, no Redis;
 *   - `redis`: with `REDIS_URL` set to a redis-server the test starts for that block;
 *   - `sigterm`: a long-running program: it is sent SIGTERM once it prints its first line, and must then
 *     shut down and exit by itself;
 *   - `no-run`: type-checked only (a fragment that needs something the test does not start, such as a Redis
 *     Cluster); the README should say why next to it.
 *   `https://example.com` in a block is replaced by a page the test serves on loopback.
 * - Run, too: every program of examples/, the same way; a `// run: redis` (or `sigterm`, `no-run`) line in
 *   its header says how, with the words of a README fence.
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
  /** The words after the language in the block's fence (`redis`, `sigterm`, `no-run`). */
  readonly info?: readonly string[];
}

const FENCE = /^\s*```\s*([\w-]*)(.*)$/;
const TS_FENCE = /^(ts|typescript|mts)$/;

/** The ```ts blocks among `lines`, each with the index of its first code line and its fence's info words. */
function fencedBlocks(lines: readonly string[]): { start: number; code: string[]; info: string[] }[] {
  const blocks: { start: number; code: string[]; info: string[] }[] = [];
  let current: { start: number; code: string[]; info: string[] } | undefined;
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
      const info = (fence[2] ?? '').trim().split(/\s+/).filter(Boolean);
      if (TS_FENCE.test(fence[1] ?? '')) current = { start: index + 1, code: [], info };
      else inOtherFence = true;
    }
  }
  return blocks;
}

/** The ```ts blocks of a Markdown file. */
function markdownExamples(file: string, text: string): Example[] {
  return fencedBlocks(text.split('\n')).map(({ start, code, info }) => ({
    label: `${file}:${start + 1}`,
    file,
    line: start + 1,
    code: code.join('\n'),
    info,
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

/** The compiler settings a user may have, each checked against every example. */
const CONFIGS: Record<string, ts.CompilerOptions> = {
  'module: nodenext': { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  'moduleResolution: bundler': {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  },
};

let directory: string;
/** Compile errors by configuration, then by example label. */
const errors = new Map<string, Map<string, string[]>>();

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

  for (const [name, moduleOptions] of Object.entries(CONFIGS)) {
    const found = new Map<string, string[]>();
    errors.set(name, found);
    // What the README tells a user to set: ES2022 with `esnext.disposable` for `using`, strict, Node types.
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      ...moduleOptions,
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
        found.set('*', [...(found.get('*') ?? []), `${where}TS${diagnostic.code}: ${message}`]);
        continue;
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const list = found.get(example.label) ?? [];
      list.push(`${example.file}:${example.line + line} TS${diagnostic.code}: ${message}`);
      found.set(example.label, list);
    }
  }
}, 120_000);

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
      '```ts redis  sigterm',
      'c;',
      '```',
    ];
    expect(markdownExamples('README.md', text.join('\n'))).toEqual([
      { label: 'README.md:7', file: 'README.md', line: 7, code: 'const a = 1;', info: [] },
      { label: 'README.md:10', file: 'README.md', line: 10, code: 'b;', info: [] },
      { label: 'README.md:13', file: 'README.md', line: 13, code: 'c;', info: ['redis', 'sigterm'] },
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

describe.each(Object.keys(CONFIGS))('doc examples compile (%s)', (config) => {
  const found = (): Map<string, string[]> => errors.get(config) ?? new Map();

  it('finds the TSDoc examples of src/', () => {
    expect(tsdoc.length).toBeGreaterThan(10);
  });

  it.skipIf(!hasReadme)('finds the ts blocks of README.md', () => {
    expect(readmeExamples.length).toBeGreaterThan(0);
  });

  it('type-checks the program of examples without errors outside the examples', () => {
    expect(found().get('*') ?? [], 'errors outside the examples').toEqual([]);
  });

  it.each(examples.map((example) => [example.label, example] as const))('%s', (_label, example) => {
    const list = found().get(example.label) ?? [];
    expect(list, `the example at ${example.label} does not compile:\n${list.join('\n')}`).toEqual([]);
  });

  it('every failing example, in one list', () => {
    const failing = [...found().entries()].filter(([label]) => label !== '*');
    expect(
      failing.length,
      `${failing.length} of ${examples.length} examples do not compile under ${config}:\n` +
        failing
          .map(([label, list]) => `  ${label}\n${list.map((error) => `    ${error}`).join('\n')}`)
          .join('\n'),
    ).toBe(0);
  });
});

/** How long a README block may take to run and exit by itself, in milliseconds (generous: a loaded CI box). */
const RUN_BOUND = 45_000;
const RUN_MODES = new Set(['redis', 'sigterm', 'no-run']);
/** The page that stands in for `https://example.com` in the blocks. */
const PAGE = 'Example Domain: this page stands in for example.com in the README blocks.';

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs `file` with tsx, sending SIGTERM after its first line when asked; kills it after {@link RUN_BOUND}. */
function runBlock(file: string, env: NodeJS.ProcessEnv, sigterm: boolean): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: dirname(file),
      // A variable set to undefined is removed, so that a block sees no REDIS_URL at all.
      env: Object.fromEntries(
        Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined),
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (sigterm && !signalled && stdout.includes('\n')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_BOUND);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, timedOut });
    });
  });
}

describe('README blocks run to completion and exit by themselves', () => {
  let page: Server;
  let pageUrl: string;
  const runs = readmeExamples.filter((example) => !example.info?.includes('no-run'));

  beforeAll(async () => {
    page = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<html><body><p>${PAGE}</p></body></html>`);
    });
    await new Promise<void>((resolveListen) => page.listen(0, '127.0.0.1', resolveListen));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolveClose) => page?.close(resolveClose));
  });

  it.skipIf(!hasReadme)('every block says how it runs with words the harness knows', () => {
    const unknown = readmeExamples.flatMap((example) =>
      (example.info ?? []).filter((word) => !RUN_MODES.has(word)).map((word) => `${example.label}: ${word}`),
    );
    expect(unknown, `fence words other than ${[...RUN_MODES].join(', ')}`).toEqual([]);
    expect(runs.length).toBeGreaterThan(0);
  });

  it.concurrent.each(runs.map((example) => [example.label, example] as const))(
    '%s',
    async (_label, example) => {
      const code = example.code
        .replaceAll("from 'rx-abort/bullmq'", `from ${JSON.stringify(join(root, 'src/bullmq/index.ts'))}`)
        .replaceAll("from 'rx-abort'", `from ${JSON.stringify(join(root, 'src/index.ts'))}`)
        .replaceAll('https://example.com', pageUrl.slice(0, -1));
      const file = join(directory, `run-${example.line}.mts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      const server = example.info?.includes('redis') ? await startRedisServer() : undefined;
      try {
        // Without `redis`, REDIS_URL points at a closed port: a block that needs Redis but is not marked
        // fails at once instead of falling back to a Redis on 6379, which the tests must never touch.
        const env: NodeJS.ProcessEnv = {
          REDIS_URL: server === undefined ? 'redis://127.0.0.1:1' : server.url,
        };
        const result = await runBlock(file, env, example.info?.includes('sigterm') === true);
        const output = `exit code ${result.code}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.timedOut, `${example.label} did not exit within ${RUN_BOUND} ms:\n${output}`).toBe(
          false,
        );
        expect(result.code, `${example.label} failed:\n${output}`).toBe(0);
      } finally {
        await server?.stop();
      }
    },
    RUN_BOUND + 15_000,
  );
});

/** The run words of an examples/ program: those of its `// run: redis sigterm` line, if any. */
const runWords = (code: string): string[] =>
  /^\/\/ run:(.*)$/m
    .exec(code)?.[1]
    ?.replace(/\(.*\)/, '') // a note in parentheses, e.g. where else it is run
    .trim()
    .split(/\s+/) ?? [];

describe('examples/ programs run to completion and exit by themselves', () => {
  const programs = readdirSync(join(root, 'examples'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => ({ name, words: runWords(readFileSync(join(root, 'examples', name), 'utf8')) }));

  it('finds the programs, each with run words the harness knows', () => {
    expect(programs.length).toBeGreaterThanOrEqual(4);
    const unknown = programs.flatMap(({ name, words }) =>
      words.filter((word) => !RUN_MODES.has(word)).map((word) => `${name}: ${word}`),
    );
    expect(unknown).toEqual([]);
  });

  it.concurrent.each(
    programs
      .filter(({ words }) => !words.includes('no-run'))
      .map((program) => [program.name, program] as const),
  )(
    '%s',
    async (_name, { name, words }) => {
      const server = words.includes('redis') ? await startRedisServer() : undefined;
      try {
        const env: NodeJS.ProcessEnv =
          server === undefined ? { REDIS_URL: undefined } : { REDIS_URL: server.url };
        const result = await runBlock(join(root, 'examples', name), env, words.includes('sigterm'));
        const output = `exit code ${result.code}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.timedOut, `examples/${name} did not exit within ${RUN_BOUND} ms:\n${output}`).toBe(
          false,
        );
        expect(result.code, `examples/${name} failed:\n${output}`).toBe(0);
      } finally {
        await server?.stop();
      }
    },
    RUN_BOUND + 15_000,
  );
});
