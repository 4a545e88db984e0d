import { UnrecoverableError } from 'bullmq';
import type { AbortEvent } from '../core/AbortEvent.js';

/**
 * The error a BullMQ job fails with when it is aborted: skipped before its processor ran (a live mark),
 * stopped while it ran (a hard abort, or the deadline of a graceful one), or stopped by BullMQ's own
 * `worker.cancelJob`. It extends BullMQ's `UnrecoverableError`, so the job is never retried whatever its
 * `attempts`, and its message starts with `aborted`, so dashboards show why the job failed.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { JobAbortedError } from 'rx-abort/bullmq';
 * declare const worker: Worker;
 * worker.on('failed', (job, error) => {
 *   if (error.name === 'JobAbortedError') console.log(job?.id, (error as JobAbortedError).started);
 * });
 * ```
 */
export class JobAbortedError extends UnrecoverableError {
  override readonly name = 'JobAbortedError';
  /** The BullMQ job id. */
  readonly jobId: string;
  /** The abort mark that caused it, or `undefined` when BullMQ's own `cancelJob` stopped the job. */
  readonly event: AbortEvent | undefined;
  /** The caller's reason (the mark's `reason`, or the reason given to `cancelJob`), if any. */
  readonly reason: string | undefined;
  /** Whether the processor had been called (`false`: skipped before it started). */
  readonly started: boolean;

  /**
   * @param jobId - the BullMQ job id.
   * @param details - the mark (if any), the reason, whether the processor had started, and a cause.
   */
  constructor(
    jobId: string,
    details: {
      readonly event?: AbortEvent | undefined;
      readonly reason?: string | undefined;
      readonly started: boolean;
      readonly cause?: unknown;
    },
  ) {
    const reason = details.event?.reason ?? details.reason;
    const what = details.started ? 'aborted while running' : 'aborted before it started';
    super(`${what}: job ${JSON.stringify(jobId)}${reason === undefined ? '' : `: ${reason}`}`);
    if (details.cause !== undefined) Object.defineProperty(this, 'cause', { value: details.cause });
    this.jobId = jobId;
    this.event = details.event;
    this.reason = reason;
    this.started = details.started;
  }
}
