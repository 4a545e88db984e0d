import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.[mc]?tsx?$/;

/** Whether a module URL names a TypeScript file (`.ts`, `.mts`, `.cts`, `.tsx`). */
export const isTypeScript = (url: string): boolean => TYPESCRIPT.test(new URL(url).pathname);

/**
 * The `file:` URL of tsx's ESM register API (`tsx/esm/api`), resolved from the first of `from` (module
 * URLs) that finds it, or `undefined` when tsx is not installed. An isolate registers it before it loads a
 * TypeScript module: Node.js 20 runs `--import tsx` in child processes but tsx does not register itself in
 * worker threads, so flags alone do not do it.
 */
export function tsxApiUrl(from: readonly string[]): string | undefined {
  for (const url of from) {
    try {
      const packageJson = createRequire(url).resolve('tsx/package.json');
      const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
        exports?: Record<string, { import?: { default?: string } | string } | string>;
      };
      const entry = manifest.exports?.['./esm/api'];
      const target =
        typeof entry === 'string'
          ? entry
          : typeof entry?.import === 'string'
            ? entry.import
            : entry?.import?.default;
      if (target !== undefined) return pathToFileURL(join(dirname(packageJson), target)).href;
    } catch {
      // not found from there: try the next one
    }
  }
  return undefined;
}
