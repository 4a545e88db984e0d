import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { EventBackend } from '../backends/EventBackend.js';
import type { AbortEvent } from './AbortEvent.js';
import type { AbortMode } from './AbortMode.js';
import { type AbortSignalOptions, signalFromAbortEvents, type WatchedAbortSignal } from './abortSignal.js';
import {
  validateAbortTimeout,
  validateAbortTtl,
  validateBoolean,
  validateId,
  validateIds,
  validateMode,
  validateOptions,
  validateReason,
} from './validate.js';
import { CutSink, watchBackend } from './watchSink.js';

/** Options of {@link Abortable}. */
export interface AbortableOptions {
  /** Where abort marks are written and watched: {@link MemoryBackend} or {@link RedisBackend}. */
  backend: EventBackend;
  /**
   * How long an abort mark lives, in milliseconds: a task that starts later than this after its abort is
   * no longer skipped. Override per call with `abort(id, { abortTtl })`.
   * @default 90_000
   */
  abortTtl?: number;
  /**
   * Whether actors are abortable when neither the message nor the actor says (the worker's default).
   * @default true
   */
  abortable?: boolean;
}

/** Options of {@link Abortable.abort} and the top-level `abort`. */
export interface AbortOptions {
  /**
   * `'abort'` skips a queued task and stops a running one; `'cancel'` only skips a queued one.
   * @default 'abort'
   */
  mode?: AbortMode;
  /** How long the mark lives, in milliseconds (1 to 10 years). @default the Abortable's `abortTtl` (90_000) */
  abortTtl?: number;
  /**
   * Graceful abort: milliseconds a running task is given to finish after it is told, before it is stopped
   * hard. `0` stops it at once.
   * @default 0
   */
  abortTimeout?: number;
  /** Free text passed to the task in its {@link Abort} error (at most 4096 characters). @default none */
  reason?: string;
}

/**
 * The abort middleware: it carries the event backend and the defaults, writes abort marks and turns them
 * into Observables and AbortSignals. Add it to a broker (`broker.addMiddleware(abortable)`) so workers skip
 * and stop aborted tasks, or use it on its own.
 *
 * Every method validates its arguments synchronously and throws a `TypeError` or `RangeError` that names
 * the argument; promises reject only for backend failures.
 *
 * @example
 * ```ts
 * import { interval } from 'rxjs';
 * import { Abortable, MemoryBackend } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * interval(10)
 *   .pipe(abortable.takeUntilAborted('job-1'))
 *   .subscribe({ complete: () => console.log('job-1 stopped') });
 * await abortable.abort('job-1', { reason: 'no longer needed' });
 * ```
 */
export class Abortable {
  /** The event backend marks are written to and watched on. */
  readonly backend: EventBackend;
  /** The default mark lifetime, in milliseconds. */
  readonly abortTtl: number;
  /** Whether actors are abortable by default. */
  readonly abortable: boolean;

  /**
   * @param options - see {@link AbortableOptions}.
   * @throws TypeError / RangeError for a missing backend or invalid defaults.
   */
  constructor(options: AbortableOptions) {
    const checked = validateOptions<AbortableOptions>(options);
    const backend = checked.backend;
    if (
      backend === null ||
      typeof backend !== 'object' ||
      typeof backend.mark !== 'function' ||
      typeof backend.watch !== 'function' ||
      typeof backend.read !== 'function'
    ) {
      throw new TypeError('options.backend must be an EventBackend (for example new MemoryBackend())');
    }
    this.backend = backend;
    this.abortTtl =
      checked.abortTtl === undefined ? 90_000 : validateAbortTtl(checked.abortTtl, 'options.abortTtl');
    this.abortable = validateBoolean(checked.abortable, 'options.abortable') ?? true;
  }

  /**
   * Marks one task, or many in one round trip, as aborted for `abortTtl` milliseconds. Aborting an id twice
   * refreshes its mark (the later call wins); aborting an id that never existed, or a task that already
   * finished, only leaves a mark that expires.
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * await abortable.abort(['job-1', 'job-2'], { mode: 'cancel', abortTtl: 2 * 60 * 60 * 1000 });
   * ```
   * @param ids - one task id or a non-empty array of them.
   * @param options - see {@link AbortOptions}.
   * @returns a promise that resolves once the backend holds every mark.
   * @throws TypeError / RangeError synchronously for invalid ids or options.
   */
  abort(ids: string | readonly string[], options?: AbortOptions): Promise<void> {
    const list = validateIds(ids);
    const checked = validateOptions<AbortOptions>(options);
    const mode = checked.mode === undefined ? 'abort' : validateMode(checked.mode);
    const abortTtl = checked.abortTtl === undefined ? this.abortTtl : validateAbortTtl(checked.abortTtl);
    const abortTimeout = checked.abortTimeout === undefined ? 0 : validateAbortTimeout(checked.abortTimeout);
    const reason = validateReason(checked.reason);
    const at = Date.now();
    const events = [...new Set(list)].map(
      (id): AbortEvent =>
        reason === undefined ? { id, mode, abortTimeout, at } : { id, mode, reason, abortTimeout, at },
    );
    return this.backend.mark(events, abortTtl);
  }

  /**
   * Emits one {@link AbortEvent} when `id` is aborted in mode `'abort'`, then completes. An abort requested
   * before the subscription that is still inside its window is emitted too; an expired one never is, and a
   * `'cancel'` is ignored (it only skips queued tasks). Unsubscribing releases the watch.
   *
   * ```text
   * abort('job-1'):  -----A-----
   * abort$('job-1'): -----(e|)
   * ```
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * abortable.abort$('job-1').subscribe((event) => console.log(event.mode, event.reason));
   * await abortable.abort('job-1', { reason: 'user' });
   * ```
   * @param id - the task id.
   * @throws TypeError / RangeError synchronously for an invalid id.
   */
  abort$(id: string): Observable<AbortEvent> {
    validateId(id);
    // No intermediate Observable or Subscriber: the backend delivers straight into one small sink per
    // watch (bench/README.md, "Lean watches").
    return new Observable<AbortEvent>((subscriber) =>
      watchBackend(this.backend, id, new CutSink(subscriber, 'emit')),
    );
  }

  /**
   * Resolves to the live abort mark of `id` in either mode, or `null`: the check a worker makes before it
   * starts a task.
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * await abortable.abort('job-1', { mode: 'cancel' });
   * console.log((await abortable.aborted('job-1'))?.mode); // 'cancel'
   * ```
   * @param id - the task id.
   * @throws TypeError / RangeError synchronously for an invalid id.
   */
  aborted(id: string): Promise<AbortEvent | null> {
    validateId(id);
    return this.backend.read(id);
  }

  /**
   * An `AbortSignal` that aborts with an {@link Abort} when `id` is aborted; see the top-level
   * {@link abortSignal} for when its watch is released.
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * const signal = abortable.abortSignal('job-1');
   * signal.addEventListener('abort', () => console.log(signal.reason));
   * await abortable.abort('job-1');
   * ```
   * @param id - the task id.
   * @param options - see {@link AbortSignalOptions}.
   * @throws TypeError / RangeError synchronously for an invalid id or options.
   */
  abortSignal(id: string, options?: AbortSignalOptions): WatchedAbortSignal {
    validateId(id);
    return signalFromAbortEvents(this.abort$(id), validateOptions<AbortSignalOptions>(options));
  }

  /**
   * Operator: mirrors the source until `id` is aborted, then completes it (see the top-level
   * {@link takeUntilAborted}).
   *
   * @example
   * ```ts
   * import { interval } from 'rxjs';
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * interval(10).pipe(abortable.takeUntilAborted('job-1')).subscribe();
   * ```
   * @param id - the task id.
   */
  takeUntilAborted<T>(id: string): MonoTypeOperatorFunction<T> {
    validateId(id);
    return this.#cut(id, 'complete');
  }

  /**
   * Operator: mirrors the source until `id` is aborted, then errors with {@link Abort} (see the top-level
   * {@link throwOnAbort}).
   *
   * @example
   * ```ts
   * import { interval } from 'rxjs';
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * interval(10).pipe(abortable.throwOnAbort('job-1')).subscribe({ error: (e) => console.log(e.name) });
   * ```
   * @param id - the task id.
   */
  throwOnAbort<T>(id: string): MonoTypeOperatorFunction<T> {
    validateId(id);
    return this.#cut(id, 'throw');
  }

  /** Closes the backend. */
  close(): Promise<void> {
    return this.backend.close();
  }

  /**
   * `takeUntil(abort$(id))` (or its erroring twin) in one layer: the watch is subscribed first, straight into
   * a {@link CutSink} on the downstream subscriber, which is then handed to the source itself, so a running
   * task holds no operator subscribers of its own.
   */
  #cut<T>(id: string, action: 'complete' | 'throw'): MonoTypeOperatorFunction<T> {
    return (source) =>
      new Observable<T>((subscriber) => {
        const watch = watchBackend(this.backend, id, new CutSink(subscriber, action));
        if (watch !== undefined) subscriber.add(watch);
        if (!subscriber.closed) source.subscribe(subscriber);
      });
  }
}
