import type { Observable } from 'rxjs';
import type { Abortable } from './Abortable.js';
import type { AbortEvent } from './AbortEvent.js';
import { getDefaultAbortable } from './defaultAbortable.js';
import { Abort } from './errors/Abort.js';
import { validateId, validateOptions } from './validate.js';

/** Options of {@link abortSignal} and {@link Abortable.abortSignal}. */
export interface AbortSignalOptions {
  /**
   * A parent signal: when it aborts, the returned signal aborts with the parent's reason and the watch is
   * released. Pass the signal of the scope that owns the work so nothing outlives it.
   * @default none
   */
  signal?: AbortSignal;
}

/** Options of the top-level {@link abortSignal}. */
export interface TopLevelAbortSignalOptions extends AbortSignalOptions {
  /** The Abortable that watches the id. @default the process-wide default ({@link setDefaultAbortable}) */
  abortable?: Abortable;
}

/**
 * An `AbortSignal` tied to a task id. It holds a watch on the id (a Redis subscription, on the Redis
 * backend) until one of these happens: the task is aborted, the parent signal aborts, or you call
 * `release()` (or leave a `using` block: it is `Disposable`). Release it when the work is done.
 */
export interface WatchedAbortSignal extends AbortSignal, Disposable {
  /** Stops watching the id. The signal stays as it is (not aborted, if it was not). Idempotent. */
  release(): void;
}

/**
 * An `AbortSignal` that aborts, with an {@link Abort} as its `reason`, when `id` is aborted (mode `'abort'`),
 * for `fetch`, `child_process`, timers and anything else that takes a signal. An abort requested before
 * the call (and still inside its window) aborts it as soon as the backend has read the mark.
 *
 * The watch is released when the signal aborts, when `options.signal` aborts (the returned signal then
 * aborts with the parent's reason), or on `release()` / `[Symbol.dispose]()`. If the backend cannot watch
 * (closed, or Redis keyspace notifications are off), the signal aborts with that error as its reason, so a
 * misconfiguration is loud rather than silent: check `signal.reason instanceof Abort` to tell them apart.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, abortSignal } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * using signal = abortSignal('job-1', { abortable });
 * const response = fetch('http://127.0.0.1:9/', { signal }).catch(() => 'stopped');
 * await abortable.abort('job-1');
 * console.log(signal.aborted, await response);
 * ```
 * @param id - the task id to watch.
 * @param options - see {@link TopLevelAbortSignalOptions}.
 * @returns a signal to pass on, and release when done.
 * @throws TypeError / RangeError synchronously for an invalid id or options; NoAbortableError when no Abortable is found.
 */
export function abortSignal(id: string, options?: TopLevelAbortSignalOptions): WatchedAbortSignal {
  validateId(id);
  const checked = validateOptions<TopLevelAbortSignalOptions>(options, { signal: true, abortable: true });
  const { abortable, ...signalOptions } = checked;
  return getDefaultAbortable({ abortable }).abortSignal(id, signalOptions);
}

/**
 * Builds a {@link WatchedAbortSignal} from a stream of abort events: the first event aborts it with an
 * {@link Abort}. The building block of {@link abortSignal}, modelled on RxJS's `fromFetch` signal handling.
 *
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { signalFromAbortEvents, type AbortEvent } from 'rx-abort';
 * const events = new Subject<AbortEvent>();
 * const signal = signalFromAbortEvents(events);
 * events.next({ id: 'job-1', mode: 'abort', abortTimeout: 0, at: Date.now() });
 * console.log(signal.aborted); // true
 * ```
 * @param abort$ - the events; only the first is used.
 * @param options - see {@link AbortSignalOptions}.
 */
export function signalFromAbortEvents(
  abort$: Observable<AbortEvent>,
  options: AbortSignalOptions = {},
): WatchedAbortSignal {
  const parent = options.signal;
  if (parent !== undefined && !(parent instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
  const controller = new AbortController();
  const signal = controller.signal as WatchedAbortSignal;
  let release = (): void => {};
  signal.release = () => release();
  signal[Symbol.dispose] = () => release();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return signal;
  }
  const onParentAbort = (): void => {
    release();
    controller.abort(parent?.reason);
  };
  const subscription = abort$.subscribe({
    next: (event) => {
      release();
      controller.abort(new Abort(event));
    },
    error: (error: unknown) => {
      release();
      controller.abort(error);
    },
  });
  release = () => {
    release = () => {};
    subscription.unsubscribe();
    parent?.removeEventListener('abort', onParentAbort);
  };
  if (subscription.closed || signal.aborted) release();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return signal;
}
