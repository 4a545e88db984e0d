import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';

/** What became of an aborted BullMQ job, as seen by the worker that held it. */
export interface JobAbortOutcome {
  /**
   * `'skipped'`: a live mark was found before the processor ran; `'stopped'`: the running processor was
   * stopped (hard abort, or the deadline of a graceful one); `'finished'`: it finished by itself within the
   * deadline of a graceful abort.
   */
  readonly type: 'skipped' | 'stopped' | 'finished';
  /** The abort id ({@link jobAbortId}). */
  readonly id: string;
  /** The mark that caused it. */
  readonly event: AbortEvent;
}

/**
 * The one place where the BullMQ adapter reports the outcome of an abort, so that confirmed aborts
 * (waiting for a job's outcome in the aborting process) cover BullMQ jobs too.
 *
 * Called at three points of {@link abortableProcessor}: `'skipped'` at the pre-start check, `'stopped'` on
 * a hard abort (or at a graceful abort's deadline), `'finished'` when the job finished within a graceful
 * abort's deadline. It never throws: reporting must not change what happens to the job.
 */
export function reportOutcome(abortable: Abortable, outcome: JobAbortOutcome): void {
  // TODO(confirmed aborts): forward to the Abortable's outcome reporting (abortable.outcome$(id) /
  // abortAndWait) once it is merged. The three call sites: skipped at the pre-check, stopped on hard
  // abort, finished within the graceful deadline.
  void abortable;
  void outcome;
}
