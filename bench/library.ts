import { pathToFileURL } from 'node:url';

/** The library's public API, as `src/index.ts` exports it. */
export type Library = typeof import('../src/index.js');

/** The environment variable through which the parent tells its children where the compiled library is. */
export const LIBRARY_ENV = 'RX_ABORT_BENCH_LIBRARY';

/**
 * Loads the library under test: the tsc-compiled build named by `RX_ABORT_BENCH_LIBRARY` (what users run:
 * tsx's on-the-fly transform adds `keepNames` wrappers that cost heap and time), or `src/` through tsx when
 * it is not set (`--source`).
 *
 * @example
 * ```ts
 * const { Abortable, RedisBackend } = await loadLibrary();
 * ```
 * @returns the module's exports.
 */
export async function loadLibrary(): Promise<Library> {
  const compiled = process.env[LIBRARY_ENV];
  if (compiled === undefined || compiled === '') return import('../src/index.js');
  return (await import(pathToFileURL(compiled).href)) as Library;
}
