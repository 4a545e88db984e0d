import type { AbortEvent } from '../core/AbortEvent.js';

/** The fields of a BullMQ job the abort rules read. */
export interface JobTimes {
  /** When the job was created (BullMQ's `job.timestamp`, the adding process's clock). */
  readonly timestamp: number;
  /** How many times the job was moved to active, this attempt included (BullMQ's `job.attemptsStarted`). */
  readonly attemptsStarted?: number;
}

/**
 * Whether an abort mark was written for this job rather than for an earlier job under the same custom id:
 * only a job created at or before the abort (`job.timestamp <= mark.at`) is aborted by it. Both times are
 * wall clocks of different processes: keep clocks in sync (NTP).
 */
export const markIsForJob = (mark: AbortEvent, job: JobTimes): boolean => job.timestamp <= mark.at;

/**
 * The pre-start rule: whether a live mark skips the job. A mark in mode `'abort'` for this job always does.
 * A `'cancel'` only skips work that has not started: the job's first start. A restart (a retry after a
 * failure, or a stalled job moved back) is not skipped by a cancel, which was meant for the running
 * attempt (`abortJob` removes a job waiting for its retry outright).
 */
export const markSkipsJob = (mark: AbortEvent, job: JobTimes): boolean =>
  markIsForJob(mark, job) && (mark.mode === 'abort' || (job.attemptsStarted ?? 0) <= 1);

/** The running rule: whether a mark stops the running job (mode `'abort'`, for this job). */
export const markStopsJob = (mark: AbortEvent, job: JobTimes): boolean =>
  mark.mode === 'abort' && markIsForJob(mark, job);
