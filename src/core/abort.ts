import type { Abortable, AbortOptions } from './Abortable.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { validateIds, validateOptions } from './validate.js';

/** Options of the top-level {@link abort}. */
export interface TopLevelAbortOptions extends AbortOptions {
  /** The Abortable to write through. @default the process-wide default ({@link setDefaultAbortable}) */
  abortable?: Abortable;
}

/**
 * Aborts one task, or many in one round trip, by id: a worker that has not started it skips it, and (in
 * mode `'abort'`) a worker running it stops it. The mark lives `abortTtl` milliseconds (default 90,000).
 * A second abort of the same id refreshes the mark; aborting an unknown or finished id is harmless.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, abort } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * await abort('job-1', { abortable });
 * await abort('job-2', { abortable, abortTtl: 2 * 60 * 60 * 1000, mode: 'cancel' });
 * ```
 * @param ids - one task id or a non-empty array of them.
 * @param options - see {@link TopLevelAbortOptions}.
 * @returns a promise that resolves once every mark is stored; it rejects only for backend failures.
 * @throws TypeError / RangeError synchronously for invalid ids or options; NoAbortableError when no Abortable is found.
 */
export function abort(ids: string | readonly string[], options?: TopLevelAbortOptions): Promise<void> {
  validateIds(ids);
  const checked = validateOptions<TopLevelAbortOptions>(options, {
    mode: true,
    abortTtl: true,
    abortTimeout: true,
    reason: true,
    abortable: true,
  });
  const { abortable, ...abortOptions } = checked;
  return getDefaultAbortable({ abortable }).abort(ids, abortOptions);
}
