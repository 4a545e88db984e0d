import { ABORT_OUTCOME_KINDS, type AbortOutcome, type AbortOutcomeKind } from './AbortOutcome.js';
import { validateId, validateOptions } from './validate.js';

/** The longest `workerId` accepted in an outcome, in UTF-16 code units. */
export const MAX_WORKER_ID_LENGTH = 200;

/** What `reportOutcome` accepts: an {@link AbortOutcome} whose `at` may be left out (then it is now). */
export type AbortOutcomeReport = Omit<AbortOutcome, 'at'> & {
  /** When the worker acted, in milliseconds since the epoch. @default now */
  readonly at?: number;
};

/** Checks an outcome kind: `'skipped'`, `'stopped'` or `'finished'`. */
export function validateOutcomeKind(kind: unknown, name = 'outcome.outcome'): AbortOutcomeKind {
  if (!ABORT_OUTCOME_KINDS.includes(kind as AbortOutcomeKind)) {
    throw new TypeError(
      `${name} must be one of ${ABORT_OUTCOME_KINDS.map((k) => `'${k}'`).join(', ')}, got ${
        typeof kind === 'string' ? JSON.stringify(kind) : typeof kind
      }`,
    );
  }
  return kind as AbortOutcomeKind;
}

/**
 * Checks an outcome report and returns it as an {@link AbortOutcome}, `at` defaulting to `now`.
 * @throws TypeError / RangeError naming the field (`outcome.id`, `outcome.workerId`, ...).
 */
export function validateOutcomeReport(value: unknown, now: number, name = 'outcome'): AbortOutcome {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object { id, outcome, at?, workerId? }`);
  }
  const report = validateOptions<AbortOutcome>(
    value,
    { id: true, outcome: true, at: true, workerId: true },
    name,
  ) as Partial<Record<keyof AbortOutcome, unknown>>;
  validateId(report.id, `${name}.id`);
  const outcome = validateOutcomeKind(report.outcome, `${name}.outcome`);
  let at = now;
  if (report.at !== undefined) {
    if (typeof report.at !== 'number')
      throw new TypeError(`${name}.at must be a number of milliseconds since the epoch`);
    if (!Number.isFinite(report.at) || report.at < 0) {
      throw new RangeError(
        `${name}.at must be a finite, non-negative number of milliseconds since the epoch`,
      );
    }
    at = report.at;
  }
  const { workerId } = report;
  if (workerId === undefined) return { id: report.id, outcome, at };
  if (typeof workerId !== 'string') throw new TypeError(`${name}.workerId must be a string`);
  if (workerId.length === 0 || workerId.length > MAX_WORKER_ID_LENGTH || /[\n\r\0]/.test(workerId)) {
    throw new RangeError(
      `${name}.workerId must be 1 to ${MAX_WORKER_ID_LENGTH} characters without newlines or NUL`,
    );
  }
  return { id: report.id, outcome, at, workerId };
}
