import type { AbortOutcome } from '../../index.js';

/** An outcome for people: `stopped by worker-1 at 2026-12-01T20:00:00.000Z`. */
export const describeOutcome = (outcome: AbortOutcome): string =>
  `${outcome.outcome}${outcome.workerId === undefined ? '' : ` by ${outcome.workerId}`} at ${new Date(outcome.at).toISOString()}`;

/** An outcome as a JSON record's field: the outcome without its id (the record carries it). */
export function storedOutcome(outcome: AbortOutcome | null): Omit<AbortOutcome, 'id'> | null {
  if (outcome === null) return null;
  const { id: _id, ...stored } = outcome;
  return stored;
}
