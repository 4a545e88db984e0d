import type { AbortOutcomeKind } from '../core/AbortOutcome.js';
import type { TaskOutcome } from './runTask.js';

/**
 * The abort outcome a worker reports for how a task ended, or `undefined` when no abort was involved:
 *
 * - stopped by an abort (hard, or a graceful abort's deadline passed) -> `'stopped'`; if the abort landed
 *   before the handler was called -> `'skipped'` (it never ran);
 * - completed after a graceful abort was requested (so within its deadline) -> `'finished'`;
 * - failed after a graceful abort was requested -> `'stopped'` (it ended without its result);
 * - anything else (no abort, or the worker stopping) -> `undefined`.
 */
export function abortOutcomeOf(outcome: TaskOutcome): AbortOutcomeKind | undefined {
  switch (outcome.type) {
    case 'aborted':
      return outcome.started ? 'stopped' : 'skipped';
    case 'succeeded':
      return outcome.abortRequest === undefined ? undefined : 'finished';
    case 'failed':
      return outcome.abortRequest === undefined ? undefined : 'stopped';
    case 'stopped':
      return undefined;
  }
}
