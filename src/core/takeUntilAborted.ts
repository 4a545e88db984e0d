import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Abortable } from './Abortable.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { validateId, validateOptions } from './validate.js';

/** Options of the top-level {@link takeUntilAborted}. */
export interface TakeUntilAbortedOptions {
  /** The Abortable that watches `id`. @default the process-wide default ({@link setDefaultAbortable}) */
  abortable?: Abortable;
}

/**
 * Mirrors the source until `id` is aborted (mode `'abort'`), then completes it quietly and unsubscribes
 * from it, so its teardown runs. Like RxJS's `takeUntil`, the abort watch is subscribed before the source,
 * so an abort that already happened (and is inside its window) stops the source before it starts.
 * Use {@link throwOnAbort} to error with {@link Abort} instead of completing.
 *
 * ```text
 * source:  --a--b--c--d--
 * abort:   --------X
 * result:  --a--b--|
 * ```
 *
 * @example
 * ```ts
 * import { interval } from 'rxjs';
 * import { Abortable, MemoryBackend, takeUntilAborted } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * interval(100).pipe(takeUntilAborted('job-1', { abortable })).subscribe({ complete: () => console.log('stopped') });
 * await abortable.abort('job-1');
 * ```
 * @param id - the task id to watch.
 * @param options - see {@link TakeUntilAbortedOptions}.
 * @throws TypeError / RangeError synchronously for an invalid id; NoAbortableError when no Abortable is found.
 */
export function takeUntilAborted<T>(
  id: string,
  options?: TakeUntilAbortedOptions,
): MonoTypeOperatorFunction<T> {
  validateId(id);
  return getDefaultAbortable(
    validateOptions<TakeUntilAbortedOptions>(options, { abortable: true }),
  ).takeUntilAborted(id);
}
