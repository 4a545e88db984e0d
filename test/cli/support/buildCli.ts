import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The built package: its directory and the `bin` entry's file. */
export interface BuiltCli {
  readonly dir: string;
  /** The file package.json's `bin.rx-abort` points at, made executable as npm does on install. */
  readonly bin: string;
  remove(): void;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Builds the package into a temp dir laid out as `npm run build` lays it out (`tsconfig.build.json`: every
 * file of src/ to the same path under dist/, ES modules, the shebang kept), with package.json beside it and
 * node_modules linked, and returns the file its `bin` names. Each file is transpiled on its own with
 * esbuild, as `tsc` does under `isolatedModules` (the type check is `npm run lint`'s job): about a second
 * where `tsc` takes 10-25 s on a loaded 2-core machine.
 */
export function buildCli(): BuiltCli {
  const dir = mkdtempSync(join(tmpdir(), 'rx-abort-cli-'));
  const outDir = join(dir, 'dist');
  for (const file of sourceFiles(join(root, 'src'))) {
    const { code } = transformSync(readFileSync(file, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      sourcefile: file,
    });
    const target = join(outDir, relative(join(root, 'src'), file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const binEntry = pkg.bin['rx-abort'];
  if (binEntry === undefined) throw new Error('package.json has no bin "rx-abort"');
  const bin = join(dir, binEntry);
  chmodSync(bin, 0o755);
  return { dir, bin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The end of a run of the bin. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runBin}. */
export interface RunBinOptions {
  readonly env?: Record<string, string | undefined>;
  /** Kill it (SIGKILL) after this many milliseconds. @default 15_000 */
  readonly timeout?: number;
}

/** Starts the bin (executed directly: its shebang runs node) with REDIS_URL unset unless given. */
export function startBin(cli: BuiltCli, args: readonly string[], options: RunBinOptions = {}): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env, REDIS_URL: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return spawn(cli.bin, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collects a child's output until it exits. */
export function finished(child: ChildProcess, timeout = 15_000): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rx-abort did not exit within ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeout);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the bin to its end. */
export function runBin(cli: BuiltCli, args: readonly string[], options: RunBinOptions = {}): Promise<CliRun> {
  return finished(startBin(cli, args, options), options.timeout);
}

/** The JSON lines of an output. */
export const jsonLines = (output: string): Record<string, unknown>[] =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
