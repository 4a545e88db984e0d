/**
 * What a worker did about an abort of one task:
 *
 * - `'skipped'`: the task never ran (the worker found the mark before starting it, in either mode).
 * - `'stopped'`: it was running and was stopped (a hard abort, a graceful abort whose deadline passed, or
 *   a task that ended in failure after it was told).
 * - `'finished'`: it completed successfully within a graceful abort's deadline (`abortTimeout`) after it
 *   was told.
 *
 * @example
 * ```ts
 * import type { AbortOutcomeKind } from 'rx-abort';
 * const kind: AbortOutcomeKind = 'stopped';
 * ```
 */
export type AbortOutcomeKind = 'skipped' | 'stopped' | 'finished';

/** The kinds {@link AbortOutcomeKind} accepts, for validation and documentation. */
export const ABORT_OUTCOME_KINDS: readonly AbortOutcomeKind[] = ['skipped', 'stopped', 'finished'];

/**
 * The confirmation that a worker acted on an abort of one task, as reported by the worker
 * (`abortable.reportOutcome`) and delivered by `abortable.outcome$(id)` and `abortable.abortAndWait()`.
 *
 * @example
 * ```ts
 * import type { AbortOutcome } from 'rx-abort';
 * const outcome: AbortOutcome = { id: 'job-1', outcome: 'stopped', at: Date.now(), workerId: 'worker-1' };
 * ```
 */
export interface AbortOutcome {
  /** The task (message) id the abort was for. */
  readonly id: string;
  /** What the worker did: see {@link AbortOutcomeKind}. */
  readonly outcome: AbortOutcomeKind;
  /** When the worker acted, in milliseconds since the epoch (the reporting process's clock). */
  readonly at: number;
  /** The id of the worker that acted, when it said. */
  readonly workerId?: string;
}
