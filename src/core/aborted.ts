import type { AbortEvent } from './AbortEvent.js';
import type { WatchOptions } from './abort$.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { validateId, validateOptions } from './validate.js';

/**
 * Resolves to the live abort mark of `id` in either mode, or `null`: the pre-start check of a worker.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, abort, aborted } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * await abort('job-1', { abortable, mode: 'cancel' });
 * console.log(await aborted('job-1', { abortable })); // { id: 'job-1', mode: 'cancel', ... }
 * ```
 * @param id - the task id.
 * @param options - see {@link WatchOptions}.
 * @throws TypeError / RangeError synchronously for an invalid id; NoAbortableError when no Abortable is found.
 */
export function aborted(id: string, options?: WatchOptions): Promise<AbortEvent | null> {
  validateId(id);
  return getDefaultAbortable(validateOptions<WatchOptions>(options, { abortable: true })).aborted(id);
}
