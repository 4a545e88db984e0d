import type { AbortEvent } from '../../core/AbortEvent.js';
import { ABORT_MODES, type AbortMode } from '../../core/AbortMode.js';
import { MAX_ABORT_TIMEOUT, MAX_REASON_LENGTH } from '../../core/validate.js';

/**
 * The longest mark value that is parsed; a longer one counts as an abort with no details. It must exceed the
 * longest {@link encodeMark} of a valid event: a {@link MAX_REASON_LENGTH}-unit reason that JSON escapes as
 * `\uXXXX` (control characters, lone surrogates) takes 6 characters per unit, 24,576 in all.
 */
export const MAX_MARK_BYTES = 32 * 1024;

/** The stored form of a mark: JSON of the event without its id (the key carries it). */
export function encodeMark(event: AbortEvent): string {
  const { id: _id, ...stored } = event;
  return JSON.stringify(stored);
}

/**
 * The event of a mark whose details cannot be read: a malformed string, or a key of another type under the
 * prefix (`WRONGTYPE`: someone ran `LPUSH`/`HSET` on it). It counts as an abort with no details (fail
 * closed): mode `'abort'`, no reason, no graceful deadline.
 */
export const markWithoutDetails = (id: string, now = Date.now()): AbortEvent => ({
  id,
  mode: 'abort',
  abortTimeout: 0,
  at: now,
});

/**
 * Turns a stored value back into an event. Anything under the prefix counts as an abort: a value that is
 * too large, not JSON, or not of our shape decodes to `{ mode: 'abort' }` with no reason, and nothing from
 * the value is ever evaluated. Returns `null` only when there is no value.
 */
export function decodeMark(
  id: string,
  value: string | null | undefined,
  now = Date.now(),
): AbortEvent | null {
  if (value === null || value === undefined) return null;
  const fallback = markWithoutDetails(id, now);
  if (value.length > MAX_MARK_BYTES) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return fallback;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fallback;
  const record = parsed as Record<string, unknown>;
  const mode: AbortMode = ABORT_MODES.includes(record.mode as AbortMode)
    ? (record.mode as AbortMode)
    : 'abort';
  const abortTimeout =
    typeof record.abortTimeout === 'number' &&
    Number.isInteger(record.abortTimeout) &&
    record.abortTimeout >= 0 &&
    record.abortTimeout <= MAX_ABORT_TIMEOUT
      ? record.abortTimeout
      : 0;
  const at = typeof record.at === 'number' && Number.isFinite(record.at) ? record.at : now;
  const reason =
    typeof record.reason === 'string' && record.reason.length <= MAX_REASON_LENGTH
      ? record.reason
      : undefined;
  return reason === undefined ? { id, mode, abortTimeout, at } : { id, mode, reason, abortTimeout, at };
}
