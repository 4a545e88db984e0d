import type { AbortMode } from './AbortMode.js';

/**
 * An abort request for one task id, as written by `abort()` and delivered by `abort$()`.
 *
 * @example
 * ```ts
 * import type { AbortEvent } from 'rx-abort';
 * const event: AbortEvent = { id: 'job-1', mode: 'abort', abortTimeout: 0, at: Date.now() };
 * ```
 */
export interface AbortEvent {
  /** The task (message) id that is aborted. */
  readonly id: string;
  /** `'abort'` stops a running task too; `'cancel'` only skips a queued one. */
  readonly mode: AbortMode;
  /** Free text given by the caller of `abort()`, if any. */
  readonly reason?: string;
  /**
   * Milliseconds a running task is given to finish by itself before it is stopped hard
   * (graceful abort); `0` stops it at once.
   */
  readonly abortTimeout: number;
  /** When the abort was requested, in milliseconds since the epoch (the requesting process's clock). */
  readonly at: number;
}
