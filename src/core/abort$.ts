import type { Observable } from 'rxjs';
import type { Abortable } from './Abortable.js';
import type { AbortEvent } from './AbortEvent.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { validateId, validateOptions } from './validate.js';

/** Options of the top-level {@link abort$} and {@link aborted}. */
export interface WatchOptions {
  /** The Abortable to watch through. @default the process-wide default ({@link setDefaultAbortable}) */
  abortable?: Abortable;
}

/**
 * Emits one {@link AbortEvent} when `id` is aborted in mode `'abort'` (now, or before the subscription and
 * still inside its window), then completes. Cut a running pipeline with `takeUntil(abort$(id))`.
 *
 * ```text
 * abort(id):  ------A------
 * abort$(id): ------(e|)
 * ```
 *
 * @example
 * ```ts
 * import { interval, takeUntil } from 'rxjs';
 * import { Abortable, MemoryBackend, abort, abort$ } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * interval(10).pipe(takeUntil(abort$('job-1', { abortable }))).subscribe();
 * await abort('job-1', { abortable });
 * ```
 * @param id - the task id.
 * @param options - see {@link WatchOptions}.
 * @throws TypeError / RangeError synchronously for an invalid id; NoAbortableError when no Abortable is found.
 */
export function abort$(id: string, options?: WatchOptions): Observable<AbortEvent> {
  validateId(id);
  return getDefaultAbortable(validateOptions<WatchOptions>(options, { abortable: true })).abort$(id);
}
