import type { AbortEvent } from '../AbortEvent.js';
import type { AbortMode } from '../AbortMode.js';

/**
 * The error a task is stopped with when it is aborted: the `reason` of an {@link abortSignal}'s signal,
 * the error `throwOnAbort()` raises, and the outcome the worker reports.
 *
 * @example
 * ```ts
 * import { Abort } from 'rx-abort';
 * const error = new Abort({ id: 'job-1', mode: 'abort', reason: 'user pressed cancel', abortTimeout: 0, at: 0 });
 * console.log(error instanceof Abort, error.id, error.message);
 * ```
 */
export class Abort extends Error {
  /** Always `'Abort'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'Abort';
  /** The aborted task id. */
  readonly id: string;
  /** The mode the abort was requested in. */
  readonly mode: AbortMode;
  /** The caller's reason, if one was given. */
  readonly reason: string | undefined;
  /** The event that caused this error. */
  readonly event: AbortEvent;

  /**
   * @param event - the abort event that stopped the task.
   */
  constructor(event: AbortEvent) {
    super(
      event.reason === undefined
        ? `Task ${JSON.stringify(event.id)} was aborted`
        : `Task ${JSON.stringify(event.id)} was aborted: ${event.reason}`,
    );
    this.id = event.id;
    this.mode = event.mode;
    this.reason = event.reason;
    this.event = event;
  }
}
