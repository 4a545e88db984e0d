/** Options of {@link PeriodicReread}. */
export interface PeriodicRereadOptions {
  /** Milliseconds between re-reads; `0` disables them. */
  readonly interval: number;
  /** How many ids are watched now. */
  watched(): number;
  /** Re-reads every watched key (batched). */
  reread(): void;
}

/**
 * While anything is watched, re-reads every watched key every `interval` (the backend's
 * `notificationCheckInterval`, 30 s). Keyspace notifications are one server-wide setting that any process
 * or admin can switch off and on again, and an event published while they were off is gone; a process
 * whose own check finds them on cannot tell that this happened. This re-read is what bounds the delay of
 * such an abort, in every watching process, to `interval`. Cost: one `GET` per watched id per interval, in
 * `MULTI`s of 1,000 (one round trip per 1,000 ids); with nothing watched the timer stops and nothing is
 * sent.
 *
 * ```text
 * notifications:  on --off--on------------------
 * abort(x):       -------A---------------------   (its event is lost)
 * re-read:        --------------------R--------   (within one interval: x fires)
 * ```
 */
export class PeriodicReread {
  readonly #options: PeriodicRereadOptions;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PeriodicRereadOptions) {
    this.#options = options;
  }

  /** Arms the timer if it is not armed (called when an id starts being watched). */
  start(): void {
    if (this.#timer !== undefined || this.#closed || this.#options.interval <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || this.#options.watched() === 0) return;
      this.#options.reread();
      this.start();
    }, this.#options.interval);
    this.#timer.unref();
  }

  /** Stops the timer for good. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
