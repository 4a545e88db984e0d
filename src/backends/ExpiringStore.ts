import { Observable, type SchedulerLike, Subject } from 'rxjs';

interface Stored<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/**
 * The in-process store behind {@link MemoryBackend}: one value per id, each expiring at its own time, and
 * watchers per id that get the live value on subscription and every value stored afterwards. Expiry is
 * lazy (an expired value is never returned and is swept out as the store grows): no timers, so it never
 * keeps the process alive. Storing delivers synchronously.
 */
export class ExpiringStore<T> {
  readonly #scheduler: SchedulerLike;
  readonly #values = new Map<string, Stored<T>>();
  readonly #watchers = new Map<string, Subject<T>>();
  #sweepAt = 1024;

  constructor(scheduler: SchedulerLike) {
    this.#scheduler = scheduler;
  }

  /** Ids with a watcher right now. */
  get watchedIds(): number {
    return this.#watchers.size;
  }

  /** Values held, live or expired but not yet swept. */
  get size(): number {
    return this.#values.size;
  }

  /** Stores each value under its id for `ttl` milliseconds, then hands each to the watchers of its id. */
  set(entries: ReadonlyArray<readonly [id: string, value: T]>, ttl: number): void {
    const expiresAt = this.#scheduler.now() + ttl;
    for (const [id, value] of entries) this.#values.set(id, { value, expiresAt });
    if (this.#values.size >= this.#sweepAt) this.#sweep();
    for (const [id, value] of entries) this.#watchers.get(id)?.next(value);
  }

  /** The live value of `id`, or `null`. */
  get(id: string): T | null {
    const stored = this.#values.get(id);
    if (stored === undefined) return null;
    if (stored.expiresAt <= this.#scheduler.now()) {
      this.#values.delete(id);
      return null;
    }
    return stored.value;
  }

  /** The live value of `id` on subscription, if any, then every value stored under it; never completes. */
  watch(id: string, closed: () => unknown): Observable<T> {
    return new Observable<T>((subscriber) => {
      const error = closed();
      if (error !== undefined) {
        subscriber.error(error);
        return;
      }
      let subject = this.#watchers.get(id);
      if (subject === undefined) {
        subject = new Subject<T>();
        this.#watchers.set(id, subject);
      }
      const shared = subject;
      const subscription = shared.subscribe(subscriber);
      const live = this.get(id);
      if (live !== null) subscriber.next(live);
      return () => {
        subscription.unsubscribe();
        if (!shared.observed && this.#watchers.get(id) === shared) this.#watchers.delete(id);
      };
    });
  }

  /** Drops every value and errors every watcher with `error`. */
  close(error: unknown): void {
    const watchers = [...this.#watchers.values()];
    this.#watchers.clear();
    this.#values.clear();
    for (const subject of watchers) subject.error(error);
  }

  #sweep(): void {
    const now = this.#scheduler.now();
    for (const [id, stored] of this.#values) {
      if (stored.expiresAt <= now) this.#values.delete(id);
    }
    this.#sweepAt = Math.max(1024, this.#values.size * 2);
  }
}
