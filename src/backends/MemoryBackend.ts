import { asyncScheduler, Observable, type SchedulerLike, Subject } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';
import { BackendClosedError } from '../core/errors/BackendClosedError.js';
import type { EventBackend } from './EventBackend.js';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * The clock that decides when a mark expires (`scheduler.now()`). Tests pass a `TestScheduler` (or run
   * inside `TestScheduler.run`, where the default is virtual too).
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

interface StoredMark {
  readonly event: AbortEvent;
  readonly expiresAt: number;
}

/**
 * An {@link EventBackend} that keeps marks in this process: the embedded default for single-process use,
 * demos and tests. It honours `abortTtl` like Redis does, lazily: an expired mark is never returned and is
 * swept out as the store grows, so it holds no timers and never keeps the process alive.
 *
 * `mark()` stores and delivers synchronously (the returned promise is already settled), which makes it
 * usable from marble tests.
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
  readonly #scheduler: SchedulerLike;
  readonly #marks = new Map<string, StoredMark>();
  readonly #watchers = new Map<string, Subject<AbortEvent>>();
  #sweepAt = 1024;
  #closed = false;

  /** @param options - see {@link MemoryBackendOptions}. */
  constructor(options: MemoryBackendOptions = {}) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  /** Ids with a watcher right now; `0` once every watcher has left. */
  get watchedIds(): number {
    return this.#watchers.size;
  }

  /** Marks held, live or expired but not yet swept. */
  get size(): number {
    return this.#marks.size;
  }

  mark(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    const expiresAt = this.#scheduler.now() + abortTtl;
    for (const event of events) {
      this.#marks.set(event.id, { event, expiresAt });
    }
    if (this.#marks.size >= this.#sweepAt) this.#sweep();
    for (const event of events) {
      this.#watchers.get(event.id)?.next(event);
    }
    return Promise.resolve();
  }

  read(id: string): Promise<AbortEvent | null> {
    if (this.#closed) return Promise.reject(new BackendClosedError('memory'));
    return Promise.resolve(this.readNow(id));
  }

  /** The live mark of `id`, synchronously (for tests and single-process callers). */
  readNow(id: string): AbortEvent | null {
    const stored = this.#marks.get(id);
    if (stored === undefined) return null;
    if (stored.expiresAt <= this.#scheduler.now()) {
      this.#marks.delete(id);
      return null;
    }
    return stored.event;
  }

  watch(id: string): Observable<AbortEvent> {
    return new Observable<AbortEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new BackendClosedError('memory'));
        return;
      }
      let subject = this.#watchers.get(id);
      if (subject === undefined) {
        subject = new Subject<AbortEvent>();
        this.#watchers.set(id, subject);
      }
      const shared = subject;
      const subscription = shared.subscribe(subscriber);
      const live = this.readNow(id);
      if (live !== null) subscriber.next(live);
      return () => {
        subscription.unsubscribe();
        if (!shared.observed && this.#watchers.get(id) === shared) this.#watchers.delete(id);
      };
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const watchers = [...this.#watchers.values()];
    this.#watchers.clear();
    this.#marks.clear();
    for (const subject of watchers) subject.error(new BackendClosedError('memory'));
    return Promise.resolve();
  }

  #sweep(): void {
    const now = this.#scheduler.now();
    for (const [id, stored] of this.#marks) {
      if (stored.expiresAt <= now) this.#marks.delete(id);
    }
    this.#sweepAt = Math.max(1024, this.#marks.size * 2);
  }
}
