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

/**
 * Turns a mark value that arrived as a pub/sub message on a key's keyspace channel (published by `abort()`
 * with the `SET`, see {@link MarkWriter}) into an event, or `undefined` when the message is not exactly the
 * {@link encodeMark} form of a valid event. Unlike {@link decodeMark}, nothing is guessed: anyone may
 * publish on that channel, so a message that is not a well-formed mark is never trusted as an abort; the
 * watcher reads the key with `GET` instead, and what is stored there decides.
 */
export function decodePublishedMark(id: string, message: string): AbortEvent | undefined {
  if (message.length > MAX_MARK_BYTES || message.charCodeAt(0) !== 123 /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const { mode, abortTimeout, at, reason } = record;
  let fields = 3;
  if (!ABORT_MODES.includes(mode as AbortMode)) return undefined;
  if (
    typeof abortTimeout !== 'number' ||
    !Number.isInteger(abortTimeout) ||
    abortTimeout < 0 ||
    abortTimeout > MAX_ABORT_TIMEOUT
  ) {
    return undefined;
  }
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (reason !== undefined) {
    if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) return undefined;
    fields++;
  }
  if (Object.keys(record).length !== fields) return undefined;
  const event = { id, mode: mode as AbortMode, abortTimeout, at };
  return reason === undefined ? event : { id, mode: mode as AbortMode, reason, abortTimeout, at };
}

/** Whether a message on a keyspace channel is a published mark value rather than an event name (`set`, ...). */
export const isPublishedValue = (message: string): boolean => message.charCodeAt(0) === 123; /* { */
