import { OutcomeReportError } from '../actors/errors/OutcomeReportError.js';
import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';

/** What became of an aborted BullMQ job, as seen by the worker that held it. */
export interface JobAbortOutcome {
  /**
   * `'skipped'`: a live mark was found before the processor ran; `'stopped'`: the running processor was
   * stopped (hard abort, or the deadline of a graceful one); `'finished'`: it finished by itself within the
   * deadline of a graceful abort (or, through {@link attachAborts}, completed although it was cancelled).
   */
  readonly type: 'skipped' | 'stopped' | 'finished';
  /** The abort id ({@link jobAbortId}). */
  readonly id: string;
  /** The mark that caused it. */
  readonly event: AbortEvent;
}

/**
 * The one place where the BullMQ adapter reports the outcome of an abort, so that confirmed aborts
 * (`abortable.abortAndWait(jobAbortId(job))`, `abortable.outcome$(id)`) cover BullMQ jobs too: it calls
 * `abortable.reportOutcome({ id, outcome })` (one write) when the backend carries outcomes.
 *
 * Called at three points of {@link abortableProcessor}: `'skipped'` at the pre-start check, `'stopped'` on
 * a hard abort (or at a graceful abort's deadline), `'finished'` when the job finished within a graceful
 * abort's deadline; and by {@link attachAborts} once a job it cancelled has settled (`'stopped'` when it
 * failed, `'finished'` when its processor completed it anyway). It never throws: reporting must not change what happens to the job. A report that
 * fails is a process warning (code `RX_ABORT_OUTCOME_NOT_REPORTED`, with the cause), never silent.
 */
export function reportOutcome(abortable: Abortable, outcome: JobAbortOutcome): void {
  const warn = (error: unknown): void => {
    const failure = new OutcomeReportError(outcome.id, outcome.type, error);
    process.emitWarning(failure.message, {
      type: failure.name,
      code: 'RX_ABORT_OUTCOME_NOT_REPORTED',
      detail: String(error),
    });
  };
  if (!abortable.hasOutcomes) return;
  try {
    abortable.reportOutcome({ id: outcome.id, outcome: outcome.type }).catch(warn);
  } catch (error) {
    warn(error);
  }
}
