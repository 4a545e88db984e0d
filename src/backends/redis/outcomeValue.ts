import { ABORT_OUTCOME_KINDS, type AbortOutcome, type AbortOutcomeKind } from '../../core/AbortOutcome.js';
import { MAX_WORKER_ID_LENGTH } from '../../core/validateOutcome.js';

/** The longest outcome value that is parsed; a valid one takes well under 400 characters. */
export const MAX_OUTCOME_BYTES = 4 * 1024;

/** The stored form of an outcome: JSON of the outcome without its id (the key carries it). */
export function encodeOutcome(outcome: AbortOutcome): string {
  const { id: _id, ...stored } = outcome;
  return JSON.stringify(stored);
}

/**
 * Turns a stored value back into an outcome; `null` when there is no value. Nothing from the value is
 * evaluated.
 * @throws Error for a value that is not an outcome of ours (too large, not JSON, unknown kind): the watch
 *   reports it on `errors$` and ignores the value.
 */
export function decodeOutcome(id: string, value: string | null | undefined): AbortOutcome | null {
  if (value === null || value === undefined) return null;
  const malformed = (why: string): Error =>
    new Error(`Ignored a malformed abort outcome for id ${JSON.stringify(id)}: ${why}`);
  if (value.length > MAX_OUTCOME_BYTES) throw malformed(`longer than ${MAX_OUTCOME_BYTES} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw malformed('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw malformed('not an object');
  const record = parsed as Record<string, unknown>;
  if (!ABORT_OUTCOME_KINDS.includes(record.outcome as AbortOutcomeKind)) throw malformed('unknown outcome');
  const outcome = record.outcome as AbortOutcomeKind;
  const at = typeof record.at === 'number' && Number.isFinite(record.at) ? record.at : Date.now();
  const workerId =
    typeof record.workerId === 'string' && record.workerId.length <= MAX_WORKER_ID_LENGTH
      ? record.workerId
      : undefined;
  return workerId === undefined ? { id, outcome, at } : { id, outcome, at, workerId };
}
