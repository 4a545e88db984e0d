import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';
import type { AbortOutcome } from '../core/AbortOutcome.js';
import { BackendClosedError } from '../core/errors/BackendClosedError.js';
import { validateOptions } from '../core/validate.js';
import type { EventBackend } from './EventBackend.js';
import { ExpiringStore } from './ExpiringStore.js';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * The clock that decides when a mark expires (`scheduler.now()`). Tests pass a `TestScheduler` (or run
   * inside `TestScheduler.run`, where the default is virtual too).
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * An {@link EventBackend} that keeps marks in this process: the embedded default for single-process use,
 * demos and tests. It honours `abortTtl` like Redis does, lazily: an expired mark is never returned and is
 * swept out as the store grows, so it holds no timers and never keeps the process alive.
 *
 * Abort outcomes (confirmed aborts) are kept the same way: `reportOutcome()` stores an outcome for its
 * `ttl` and hands it to the watchers of its id.
 *
 * `mark()` and `reportOutcome()` store and deliver synchronously (the returned promise is already
 * settled), which makes them usable from marble tests.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend } from 'rx-abort';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * abortable.abort$('job-1').subscribe((event) => console.log('aborted', event.id));
 * await abortable.abort('job-1');
 * ```
 */
export class MemoryBackend implements EventBackend {
  readonly #marks: ExpiringStore<AbortEvent>;
  readonly #outcomes: ExpiringStore<AbortOutcome>;
  #closed = false;

  /**
   * @param options - see {@link MemoryBackendOptions}.
   * @throws TypeError when `options` is not an object or has an unknown key (naming the closest known one).
   */
  constructor(options?: MemoryBackendOptions) {
    const checked = validateOptions<MemoryBackendOptions>(options, { scheduler: true });
    const scheduler = checked.scheduler ?? asyncScheduler;
    this.#marks = new ExpiringStore(scheduler);
    this.#outcomes = new ExpiringStore(scheduler);
  }

  /** Watches held right now, of marks and of outcomes (one per watched id each); `0` once every watcher has left. */
  get watchedIds(): number {
    return this.#marks.watchedIds + this.#outcomes.watchedIds;
  }

  /** Marks held, live or expired but not yet swept. */
  get size(): number {
    return this.#marks.size;
  }

  mark(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    this.#marks.set(
      events.map((event) => [event.id, event] as const),
      abortTtl,
    );
    return Promise.resolve();
  }

  read(id: string): Promise<AbortEvent | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    return Promise.resolve(this.readNow(id));
  }

  /** The live mark of `id`, synchronously (for tests and single-process callers). */
  readNow(id: string): AbortEvent | null {
    return this.#marks.get(id);
  }

  watch(id: string): Observable<AbortEvent> {
    return this.#marks.watch(id, this.#closedError);
  }

  reportOutcome(outcome: AbortOutcome, ttl: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    this.#outcomes.set([[outcome.id, outcome]], ttl);
    return Promise.resolve();
  }

  readOutcome(id: string): Promise<AbortOutcome | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    return Promise.resolve(this.#outcomes.get(id));
  }

  watchOutcome(id: string): Observable<AbortOutcome> {
    return this.#outcomes.watch(id, this.#closedError);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#marks.close(new BackendClosedError('memory'));
    this.#outcomes.close(new BackendClosedError('memory'));
    return Promise.resolve();
  }

  readonly #closedError = (): BackendClosedError | undefined =>
    this.#closed ? new BackendClosedError('memory') : undefined;
}
