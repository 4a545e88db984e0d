import { Observable, type Subscriber } from 'rxjs';
import type { PollingBackend } from './PollingBackend.js';

/** Options of {@link PollingWatcher}. */
export interface PollingWatcherOptions {
  /** The backend whose `waitMany` runs on a dedicated (blocking) connection. */
  backend: PollingBackend;
  /** The key prefix of a task id: `id_to_key` is `prefix + id`, `key_to_id` strips it. @default 'abort:' */
  prefix?: string;
  /** BLPOP timeout, and the sleep when nothing runs, in ms. @default 1000 (dramatiq-abort's `wait_timeout`) */
  waitTimeoutMs?: number;
}

/**
 * The worker side of dramatiq-abort's `Abortable` middleware (`middleware.py`: `_watcher` and
 * `_get_abort_requests`, with `abort_timeout` 0), in RxJS terms: a background loop that, pass after pass,
 * re-reads the set of running abortable tasks and blocks in `BLPOP` over their keys for up to 1 s (or
 * sleeps 1 s when nothing runs). When a key pops, the task with that id is aborted: its `abort$` emits.
 *
 * A task that starts while a pass is blocked is not covered until the next pass: its abort waits for the
 * current BLPOP to time out (up to 1 s), which is the latency this design pays for tasks younger than a
 * second.
 *
 * @example
 * ```ts
 * const watcher = new PollingWatcher({ backend: new PollingBackend(blockingConnection) });
 * watcher.start();
 * interval(1000).pipe(takeUntil(watcher.abort$('job-1'))).subscribe();
 * ```
 */
export class PollingWatcher {
  readonly #backend: PollingBackend;
  readonly #prefix: string;
  readonly #waitTimeoutMs: number;
  /** dramatiq-abort's `abortable_messages`: running abortable task ids (insertion ordered). */
  readonly #running = new Map<string, Subscriber<void>>();
  #passWaiters: Array<(covered: number) => void> = [];
  #loop: Promise<void> | undefined;
  #closed = false;
  #wakeSleep: (() => void) | undefined;
  /** BLPOP passes started. */
  passes = 0;

  /** @param options - see {@link PollingWatcherOptions}. */
  constructor(options: PollingWatcherOptions) {
    this.#backend = options.backend;
    this.#prefix = options.prefix ?? 'abort:';
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 1000;
  }

  /** Running abortable tasks. */
  get watchedIds(): number {
    return this.#running.size;
  }

  /** dramatiq-abort's `id_to_key`. */
  keyOf(id: string): string {
    return this.#prefix + id;
  }

  /**
   * Emits (once) when `id` is aborted while subscribed. Subscribing registers the task as running
   * (`add_abortable`); unsubscribing removes it (`remove_abortable`).
   * @param id - the task id.
   */
  abort$(id: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      this.#running.set(id, subscriber);
      return () => {
        if (this.#running.get(id) === subscriber) this.#running.delete(id);
      };
    });
  }

  /** Starts the background loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Resolves when the next BLPOP pass starts, with the number of keys it covers: how the benchmark tells
   * that every running task is watched.
   */
  nextPass(): Promise<number> {
    return new Promise((resolve) => this.#passWaiters.push(resolve));
  }

  /** Stops the loop; the caller disconnects the blocking connection to end a BLPOP in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeSleep?.();
    await this.#loop?.catch(() => {});
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#pass();
      } catch {
        if (this.#closed) return;
        await this.#sleep(this.#waitTimeoutMs); // "Unhandled error while running the time limit handler."
      }
    }
  }

  /** One pass of `_get_abort_requests`. */
  async #pass(): Promise<void> {
    const ids = [...this.#running.keys()];
    if (ids.length === 0) {
      await this.#sleep(this.#waitTimeoutMs);
      return;
    }
    const keys = ids.map((id) => this.#prefix + id);
    this.passes++;
    const waiters = this.#passWaiters;
    this.#passWaiters = [];
    const popped = this.#backend.waitMany(keys, this.#waitTimeoutMs);
    for (const waiter of waiters) waiter(keys.length);
    const key = await popped;
    if (key === null) return;
    const id = key.slice(this.#prefix.length); // key_to_id
    const subscriber = this.#running.get(id);
    if (subscriber === undefined) return; // the task finished between the pass and now
    this.#running.delete(id);
    subscriber.next();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleep = done;
    });
  }
}
