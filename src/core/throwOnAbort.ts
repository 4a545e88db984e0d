import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { Abortable } from './Abortable.js';
import type { AbortEvent } from './AbortEvent.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { Abort } from './errors/Abort.js';
import { validateId, validateOptions } from './validate.js';

/** Options of the top-level {@link throwOnAbort}. */
export interface ThrowOnAbortOptions {
  /** The Abortable that watches `id`. @default the process-wide default ({@link setDefaultAbortable}) */
  abortable?: Abortable;
}

/**
 * Mirrors the source until `id` is aborted (mode `'abort'`), then errors with an {@link Abort} and
 * unsubscribes from the source, so its teardown runs. The abort watch is subscribed before the source.
 * Use {@link takeUntilAborted} to complete quietly instead.
 *
 * ```text
 * source:  --a--b--c--d--
 * abort:   --------X
 * result:  --a--b--#      (# = Abort)
 * ```
 *
 * @example
 * ```ts
 * import { interval } from 'rxjs';
 * import { Abort, Abortable, MemoryBackend, throwOnAbort } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * interval(100)
 *   .pipe(throwOnAbort('job-1', { abortable }))
 *   .subscribe({ error: (error) => console.log(error instanceof Abort) });
 * await abortable.abort('job-1');
 * ```
 * @param id - the task id to watch.
 * @param options - see {@link ThrowOnAbortOptions}.
 * @throws TypeError / RangeError synchronously for an invalid id; NoAbortableError when no Abortable is found.
 */
export function throwOnAbort<T>(id: string, options?: ThrowOnAbortOptions): MonoTypeOperatorFunction<T> {
  validateId(id);
  return getDefaultAbortable(validateOptions<ThrowOnAbortOptions>(options, { abortable: true })).throwOnAbort(
    id,
  );
}

/**
 * Like {@link throwOnAbort}, for an already-built abort stream: errors the source with {@link Abort} at the
 * first event, and passes the stream's own errors through.
 * @param abort$ - the stream of abort events.
 */
export function throwOnAbortEvent<T>(abort$: Observable<AbortEvent>): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const notifier = abort$.subscribe({
        next: (event) => subscriber.error(new Abort(event)),
        error: (error: unknown) => subscriber.error(error),
      });
      const inner = subscriber.closed ? undefined : source.subscribe(subscriber);
      return () => {
        notifier.unsubscribe();
        inner?.unsubscribe();
      };
    });
}
