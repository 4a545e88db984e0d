import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The result of {@link buildLibrary}. */
export interface LibraryBuild {
  /** The compiled entry point (`bench/.build/index.js`). */
  entry: string;
  /** Type errors tsc reported (it emits anyway); empty when clean. */
  errors: string[];
}

/**
 * Compiles `src/` with tsc (tsconfig.build.json, no declarations or source maps) into `bench/.build/`, so
 * the worker and client processes run the library as users do, from plain JavaScript. The output sits
 * inside the repository so that `rxjs` and `ioredis` resolve from its node_modules; it is git-ignored.
 *
 * @returns the entry point and any type errors.
 * @throws Error when tsc emitted nothing.
 */
export async function buildLibrary(): Promise<LibraryBuild> {
  const outDir = join(repoRoot, 'bench', '.build');
  rmSync(outDir, { recursive: true, force: true });
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    await execFileAsync(
      process.execPath,
      [
        tsc,
        '-p',
        'tsconfig.build.json',
        '--outDir',
        outDir,
        '--declaration',
        'false',
        '--declarationMap',
        'false',
        '--sourceMap',
        'false',
      ],
      { cwd: repoRoot, timeout: 120_000 },
    );
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  const entry = join(outDir, 'index.js');
  if (!existsSync(entry)) throw new Error(`tsc did not emit ${entry}:\n${output}`);
  return { entry, errors: output.split('\n').filter((line) => line.includes('error TS')) };
}
