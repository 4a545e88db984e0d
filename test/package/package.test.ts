// The package as a user installs it: built with the real build, packed with `npm pack`, unpacked into a fresh
// project's node_modules (its dependencies linked from this repository's, so no network; its bin linked into
// node_modules/.bin as npm links it), then loaded by plain Node from an ES module and from a CommonJS file,
// its bin run, and a consumer type-checked against its declarations.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/redisServer.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** require() of an ES module works unflagged from Node 20.19 (and 22.12). */
const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);

let directory: string;
/** The unpacked package, as in node_modules/rx-abort of the user's project. */
let installed: string;
/** The user's project. */
let app: string;
let files: string[];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'rx-abort-package-'));
  const source = join(directory, 'source');
  mkdirSync(source);
  // The real build, on a copy of the package's files so that it leaves the repository's dist/ alone.
  const copied = [
    'package.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'tsconfig.json',
    'tsconfig.build.json',
  ];
  for (const name of [...copied, 'src']) cpSync(join(root, name), join(source, name), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'), 'dir');
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', join(source, 'tsconfig.build.json')]);
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', directory],
    {
      cwd: source,
    },
  );
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  files = packed.files.map((file) => file.path).sort();

  app = join(directory, 'app');
  installed = join(app, 'node_modules/rx-abort');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(directory, packed.filename), '-C', installed, '--strip-components=1']);
  for (const dependency of ['rxjs', 'ioredis', 'cluster-key-slot']) {
    symlinkSync(join(root, 'node_modules', dependency), join(app, 'node_modules', dependency), 'dir');
  }
  mkdirSync(join(app, 'node_modules/@types'));
  symlinkSync(join(root, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'), 'dir');
  // What npm does with "bin" on install: a link in node_modules/.bin, and the target made executable.
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  mkdirSync(join(app, 'node_modules/.bin'));
  for (const [name, target] of Object.entries(manifest.bin)) {
    symlinkSync(join('..', 'rx-abort', target), join(app, 'node_modules/.bin', name));
    chmodSync(join(installed, target), 0o755);
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
}, 120_000);

afterAll(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

/** Runs `file ...args` in the user's project to its end, whatever its exit code. */
function runInApp(
  file: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(file, args, { cwd: app, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Runs `node ...args` in the user's project and resolves its output. */
async function node(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd: app, timeout: 15_000 });
}

describe('the packed package', () => {
  it('holds the build, the sources its maps point at, README, LICENSE and CHANGELOG, and nothing else', () => {
    expect(files).toEqual(expect.arrayContaining(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']));
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'src/index.ts']));
    const stray = files.filter(
      (path) =>
        !/^(dist|src)\//.test(path) &&
        !['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json'].includes(path),
    );
    expect(stray).toEqual([]);
    expect(files.filter((path) => /\.test(-d)?\.ts$/.test(path))).toEqual([]);
  });

  it('says where it comes from and under which license', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\//);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['rxjs', 'redis', 'abort']));
    expect(readFileSync(join(installed, 'CHANGELOG.md'), 'utf8')).toMatch(
      /## \[Unreleased\][\s\S]*## \[0\.1\.0\]/,
    );
  });

  it('has source maps whose every source is a file of the package', () => {
    const maps = files.filter((path) => path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const sourcePath of sources) {
        const at = resolve(dirname(join(installed, map)), sourcePath);
        if (!existsSync(at)) missing.push(`${map} -> ${sourcePath}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('loads from an ES module', async () => {
    writeFileSync(
      join(app, 'main.mjs'),
      "import { Abortable, MemoryBackend } from 'rx-abort';\n" +
        'const abortable = new Abortable({ backend: new MemoryBackend() });\n' +
        "await abortable.abort('job-1');\n" +
        "console.log(JSON.stringify(await abortable.aborted('job-1')));\n",
    );
    const { stdout } = await node('main.mjs');
    expect(JSON.parse(stdout)).toMatchObject({ id: 'job-1', mode: 'abort' });
  });

  it.skipIf(!requireEsm)('loads with require() from a CommonJS file (Node 20.19+)', async () => {
    writeFileSync(
      join(app, 'main.cjs'),
      "const { Abortable, MemoryBackend, abort } = require('rx-abort');\n" +
        'const abortable = new Abortable({ backend: new MemoryBackend() });\n' +
        "abortable.abort('job-1').then(() => abortable.aborted('job-1')).then((mark) => {\n" +
        '  console.log(JSON.stringify({ mark, abort: typeof abort }));\n' +
        '});\n',
    );
    const { stdout } = await node('main.cjs');
    expect(JSON.parse(stdout)).toMatchObject({ mark: { id: 'job-1' }, abort: 'function' });
  });

  it('points stack traces at the shipped TypeScript sources (node --enable-source-maps)', async () => {
    writeFileSync(
      join(app, 'throws.mjs'),
      "import { Abortable } from 'rx-abort';\n" +
        'try { new Abortable({}); } catch (error) { console.log(error.stack); }\n',
    );
    const { stdout } = await node('--enable-source-maps', 'throws.mjs');
    const frame = /\((\S+\/node_modules\/rx-abort\/src\/core\/Abortable\.ts):(\d+):\d+\)/.exec(stdout);
    expect(frame, stdout).not.toBeNull();
    const [, file = '', line = '0'] = frame ?? [];
    expect(readFileSync(file, 'utf8').split('\n')[Number(line) - 1]).toMatch(/throw new TypeError/);
  });
});

describe('the installed bin and declarations', () => {
  it.concurrent('runs as node_modules/.bin/rx-abort: --help, and exit 1 with a clear message when Redis is not there', async () => {
    const bin = join(app, 'node_modules/.bin/rx-abort');
    const url = `redis://127.0.0.1:${await freePort()}`;
    const [help, status] = await Promise.all([
      runInApp(bin, ['--help']),
      runInApp(bin, ['status', 'x', '--url', url]),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: rx-abort <command> \[options\]\n[\s\S]*\bdoctor\b/);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stdout).toBe('');
    expect(status.stderr).toMatch(
      new RegExp(
        `^rx-abort status: Redis was unreachable: .*\\(cause: connect ECONNREFUSED ${url.slice('redis://'.length)}\\)\\n$`,
      ),
    );
    expect(status.stderr).not.toMatch(/Unhandled error event|maxRetriesPerRequest/);
  });

  it.concurrent("type-checks a consumer against the installed .d.ts (the exports map's types, module nodenext)", async () => {
    writeFileSync(
      join(app, 'consumer.mts'),
      [
        "import type { Redis } from 'ioredis';",
        "import { Abortable, type AbortOutcome, type DiagnosisCheck, diagnoseRedis, MemoryBackend, RedisBackend } from 'rx-abort';",
        'const abortable = new Abortable({ backend: new MemoryBackend() });',
        "export const outcomes: Promise<Array<AbortOutcome | null>> = abortable.abortAndWait(['job-1'], { timeout: 10 });",
        "export const describeCheck = (check: DiagnosisCheck): string => [check.status, check.name].join(' ');",
        "export const backend = (): RedisBackend => RedisBackend.fromUrl('redis://127.0.0.1:6379');",
        'export const diagnose = (client: Redis) => diagnoseRedis(client, { burst: 10 });',
        '// @ts-expect-error a misspelled option is a type error: the types are real, not any',
        'new Abortable({ backend: new MemoryBackend(), abortTTL: 5 });',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'esnext.disposable'],
          module: 'nodenext',
          strict: true,
          types: ['node'],
          noEmit: true,
        },
        files: ['consumer.mts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const checked = await runInApp(process.execPath, [tsc, '-p', join(app, 'tsconfig.json'), '--listFiles']);
    expect(checked.code, checked.stdout).toBe(0);
    const listed = checked.stdout.split('\n').map((line) => line.trim());
    expect(listed).toContain(join(installed, 'dist/index.d.ts'));
    expect(listed.filter((file) => file.startsWith(join(installed, 'src/')))).toEqual([]);
  });
});
