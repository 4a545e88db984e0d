import { type MonoTypeOperatorFunction, Observable, Subscription } from 'rxjs';
import type { EventBackend } from '../backends/EventBackend.js';
import type { AbortEvent } from './AbortEvent.js';
import type { AbortMode } from './AbortMode.js';
import type { AbortOutcome } from './AbortOutcome.js';
import { type AbortSignalOptions, signalFromAbortEvents, type WatchedAbortSignal } from './abortSignal.js';
import {
  type OptionKeys,
  validateAbortFields,
  validateAbortTtl,
  validateBoolean,
  validateId,
  validateIds,
  validateMilliseconds,
  validateOptions,
} from './validate.js';
import { type AbortOutcomeReport, validateOutcomeReport } from './validateOutcome.js';
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

/** Options of {@link Abortable.abortAndWait}: those of {@link Abortable.abort}, and how long to wait. */
export interface AbortAndWaitOptions extends AbortOptions {
  /**
   * Milliseconds to wait for the outcomes, counted from the call; an id with no outcome by then resolves
   * to `null`. The default adds the abort's `abortTimeout`, so a graceful abort's deadline is waited out.
   * @default 10_000 + abortTimeout
   */
  timeout?: number;
}

/** Options of {@link Abortable.reportOutcome}. */
export interface ReportOutcomeOptions {
  /**
   * How long the outcome is kept, in milliseconds from the report (1 to 10 years): `outcome$()` and
   * `outcome()` see it within this window.
   * @default the Abortable's `abortTtl` (90_000)
   */
  ttl?: number;
}

const ABORT_OPTION_KEYS: OptionKeys<AbortOptions> = {
  mode: true,
  abortTtl: true,
  abortTimeout: true,
  reason: true,
};
/** The default wait of {@link Abortable.abortAndWait}, before the abort's `abortTimeout` is added. */
const DEFAULT_WAIT = 10_000;

/**
 * The abort middleware: it carries the event backend and the defaults, writes abort marks and turns them
 * into Observables and AbortSignals. Add it to a broker (`broker.addMiddleware(abortable)`) so workers skip
 * and stop aborted tasks, or use it on its own.
 *
 * It also carries confirmed aborts: workers report what they did about each abort (`reportOutcome`), and
 * any process can wait for it (`abortAndWait`, `outcome$`, `outcome`), on backends that carry outcomes
 * (see {@link EventBackend}).
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
    const checked = validateOptions<AbortableOptions>(options, {
      backend: true,
      abortTtl: true,
      abortable: true,
    });
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
    const { events, abortTtl } = this.#abortEvents(
      ids,
      validateOptions<AbortOptions>(options, ABORT_OPTION_KEYS),
    );
    return this.backend.mark(events, abortTtl);
  }

  /** Validates `abort()`'s arguments and builds its marks. */
  #abortEvents(
    ids: unknown,
    checked: Partial<AbortOptions>,
  ): { readonly list: string[]; readonly events: AbortEvent[]; readonly abortTtl: number } {
    const list = validateIds(ids);
    const { mode, abortTtl = this.abortTtl, abortTimeout, reason } = validateAbortFields(checked);
    const at = Date.now();
    const events = [...new Set(list)].map(
      (id): AbortEvent =>
        reason === undefined ? { id, mode, abortTimeout, at } : { id, mode, reason, abortTimeout, at },
    );
    return { list, events, abortTtl };
  }

  /**
   * Aborts like {@link Abortable.abort} and waits for the workers to confirm: resolves with the
   * {@link AbortOutcome} of each id, or `null` for an id no worker acted on within `timeout` (still
   * queued, finished before the abort, unknown, or a `'cancel'` of a running task). The outcome watches
   * are subscribed before the marks are written, so no confirmation is missed; an id whose task was
   * already acted on inside the abort's window resolves at once with that outcome. Everything it opens is
   * released when it settles.
   *
   * ```text
   * abortAndWait('job-1'):  ^--A-----------o        A = the mark is written, o = resolves
   * worker:                 ------stops job-1, reports 'stopped'
   * outcome$('job-1'):      ^--------------(s|)
   * ```
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * // Here nothing runs job-1: it resolves to null after 100 ms.
   * const outcome = await abortable.abortAndWait('job-1', { timeout: 100, reason: 'user' });
   * console.log(outcome?.outcome ?? 'no worker acted on job-1');
   * const [a, b] = await abortable.abortAndWait(['job-2', 'job-3'], { timeout: 100 });
   * console.log(a, b); // null null
   * ```
   * @param ids - one task id (resolves to one outcome or `null`) or a non-empty array of them (resolves to
   *   an array in the same order).
   * @param options - see {@link AbortAndWaitOptions}.
   * @returns a promise of the outcomes; it rejects only for backend failures (writing the marks, or a watch
   *   that can no longer be served).
   * @throws TypeError / RangeError synchronously for invalid ids or options, or a backend that does not
   *   carry outcomes.
   */
  abortAndWait(ids: string, options?: AbortAndWaitOptions): Promise<AbortOutcome | null>;
  abortAndWait(ids: readonly string[], options?: AbortAndWaitOptions): Promise<Array<AbortOutcome | null>>;
  abortAndWait(
    ids: string | readonly string[],
    options?: AbortAndWaitOptions,
  ): Promise<AbortOutcome | null | Array<AbortOutcome | null>>;
  abortAndWait(
    ids: string | readonly string[],
    options?: AbortAndWaitOptions,
  ): Promise<AbortOutcome | null | Array<AbortOutcome | null>> {
    const checked = validateOptions<AbortAndWaitOptions>(options, { ...ABORT_OPTION_KEYS, timeout: true });
    const { timeout: rawTimeout, ...abortOptions } = checked;
    const { list, events, abortTtl } = this.#abortEvents(ids, abortOptions);
    const timeout =
      rawTimeout === undefined
        ? Math.min(DEFAULT_WAIT + (events[0]?.abortTimeout ?? 0), 2 ** 31 - 1)
        : validateMilliseconds(rawTimeout, 'options.timeout', 0, 2 ** 31 - 1);
    const backend = this.#outcomeBackend('abortAndWait');
    const single = !Array.isArray(ids);
    return new Promise((resolve, reject) => {
      const outcomes = new Map<string, AbortOutcome>();
      const watches = new Subscription();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let marked = false;
      let timedOut = false;
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        watches.unsubscribe();
        finish();
      };
      // Resolves once the marks are written and every id has its outcome, or the time is up.
      const check = (): void => {
        if (!marked || (!timedOut && outcomes.size < events.length)) return;
        const results = list.map((id) => outcomes.get(id) ?? null);
        settle(() => resolve(single ? (results[0] ?? null) : results));
      };
      for (const { id } of events) {
        watches.add(
          backend.watchOutcome(id).subscribe({
            next: (outcome) => {
              if (outcomes.has(id)) return;
              outcomes.set(id, outcome);
              check();
            },
            error: (error: unknown) => settle(() => reject(error)),
          }),
        );
        if (settled) return;
      }
      timer = setTimeout(() => {
        timedOut = true;
        check();
      }, timeout);
      this.backend.mark(events, abortTtl).then(
        () => {
          marked = true;
          check();
        },
        (error: unknown) => settle(() => reject(error)),
      );
    });
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
   * Emits one {@link AbortOutcome} when a worker acted on an abort of `id` (skipped it, stopped it, or saw
   * it finish within a graceful abort's deadline), then completes. An outcome reported before the
   * subscription and still inside its window (`abortTtl`) is emitted too. Unsubscribing releases the watch.
   *
   * ```text
   * abort('job-1'):     --A--------
   * worker reports:     -----s-----       s = { outcome: 'stopped' }
   * outcome$('job-1'):  -----(s|)
   * ```
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * abortable.outcome$('job-1').subscribe((outcome) => console.log(outcome.outcome, outcome.workerId));
   * await abortable.reportOutcome({ id: 'job-1', outcome: 'stopped', workerId: 'worker-1' });
   * ```
   * @param id - the task id.
   * @throws TypeError / RangeError synchronously for an invalid id, or a backend that does not carry outcomes.
   */
  outcome$(id: string): Observable<AbortOutcome> {
    validateId(id);
    const backend = this.#outcomeBackend('outcome$');
    return new Observable<AbortOutcome>((subscriber) =>
      backend.watchOutcome(id).subscribe({
        next: (outcome) => {
          subscriber.next(outcome);
          subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
      }),
    );
  }

  /**
   * Resolves to the live outcome of `id` (what a worker did about its abort), or `null` when no worker
   * reported one inside the window.
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * await abortable.reportOutcome({ id: 'job-1', outcome: 'skipped' });
   * console.log((await abortable.outcome('job-1'))?.outcome); // 'skipped'
   * ```
   * @param id - the task id.
   * @throws TypeError / RangeError synchronously for an invalid id, or a backend that does not carry outcomes.
   */
  outcome(id: string): Promise<AbortOutcome | null> {
    validateId(id);
    return this.#outcomeBackend('outcome').readOutcome(id);
  }

  /**
   * Records what a worker did about an abort, for `outcome$()`, `outcome()` and `abortAndWait()` anywhere
   * on the backend. The library's {@link Worker} calls it for every task it skips or stops; call it from a
   * queue adapter (BullMQ, a home-made consumer) when your own code skipped or stopped an aborted task:
   * `'skipped'` when it never ran, `'stopped'` when it was stopped, `'finished'` when it completed within a
   * graceful abort's deadline. `at` defaults to now. Costs one write (Redis: one `SET ... PX`).
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * // In a consumer, after stopping an aborted job:
   * await abortable.reportOutcome({ id: 'job-1', outcome: 'stopped', workerId: 'consumer-7' });
   * ```
   * @param outcome - `{ id, outcome, at?, workerId? }`.
   * @param options - see {@link ReportOutcomeOptions}.
   * @returns a promise that resolves once the backend holds the outcome.
   * @throws TypeError / RangeError synchronously for an invalid outcome or options, or a backend that does
   *   not carry outcomes.
   */
  reportOutcome(outcome: AbortOutcomeReport, options?: ReportOutcomeOptions): Promise<void> {
    const checked = validateOutcomeReport(outcome, Date.now());
    const reportOptions = validateOptions<ReportOutcomeOptions>(options, { ttl: true });
    const ttl =
      reportOptions.ttl === undefined ? this.abortTtl : validateAbortTtl(reportOptions.ttl, 'options.ttl');
    return this.#outcomeBackend('reportOutcome').reportOutcome(checked, ttl);
  }

  /** Whether the backend carries abort outcomes (see {@link EventBackend}); the worker reports only then. */
  get hasOutcomes(): boolean {
    const { reportOutcome, readOutcome, watchOutcome } = this.backend;
    return (
      typeof reportOutcome === 'function' &&
      typeof readOutcome === 'function' &&
      typeof watchOutcome === 'function'
    );
  }

  #outcomeBackend(method: string): Required<EventBackend> {
    if (!this.hasOutcomes) {
      const name = (this.backend as { constructor?: { name?: string } }).constructor?.name ?? 'backend';
      throw new TypeError(
        `abortable.${method}() needs a backend that carries abort outcomes (reportOutcome, readOutcome and ` +
          `watchOutcome); this ${name} has none. MemoryBackend and RedisBackend do (see EventBackend).`,
      );
    }
    return this.backend as Required<EventBackend>;
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
    return signalFromAbortEvents(
      this.abort$(id),
      validateOptions<AbortSignalOptions>(options, { signal: true }),
    );
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

  /**
   * Closes the backend (`backend.close()`): its watches end with a `BackendClosedError`, and it closes the
   * connections it opened. A Redis client you gave `new RedisBackend({ client })` stays open (quit it
   * yourself); one made by `RedisBackend.fromUrl(url)` is closed with it. A broker never closes its
   * middleware: close the `Abortable` after `broker.close()`.
   *
   * @example
   * ```ts
   * import { Abortable, MemoryBackend } from 'rx-abort';
   * const abortable = new Abortable({ backend: new MemoryBackend() });
   * await abortable.abort('job-1');
   * await abortable.close();
   * ```
   */
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
