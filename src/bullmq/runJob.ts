import {
  defer,
  filter,
  from,
  isObservable,
  type Observable,
  of,
  ReplaySubject,
  Subscription,
  take,
  timer,
} from 'rxjs';
import type { AbortRequest } from '../actors/TaskContext.js';
import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';
import { Abort } from '../core/errors/Abort.js';
import { JobAbortedError } from './JobAbortedError.js';
import type { JobContext } from './JobContext.js';
import { type JobTimes, markStopsJob } from './markApplies.js';
import { reportOutcome } from './reportOutcome.js';

/** What {@link runJob} needs to run one attempt of a job under its abort watch. */
export interface RunJobOptions {
  readonly abortable: Abortable;
  /** The BullMQ job id. */
  readonly jobId: string;
  /** The job's abort id ({@link jobAbortId}). */
  readonly abortId: string;
  /** The job's creation time and starts (see {@link markStopsJob}). */
  readonly job: JobTimes;
  /** BullMQ's signal of this job (aborted by `worker.cancelJob`), if BullMQ gave one. */
  readonly signal: AbortSignal | undefined;
  /** Calls the user's processor with the signal and context of this attempt. */
  readonly process: (signal: AbortSignal, context: JobContext) => unknown;
}

const toObservable = (value: unknown): Observable<unknown> => {
  if (isObservable(value)) return value;
  if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') {
    return from(value as PromiseLike<unknown>);
  }
  return of(value);
};

/**
 * Runs one attempt of a job under its abort watch and settles with its result, or rejects with a
 * {@link JobAbortedError} when it is aborted. The same rules as the actors' `runTask`:
 *
 * - the watch (`backend.watch(abortId)`, mode `'abort'` marks for this job only) and BullMQ's signal are
 *   subscribed before the processor is called; the watch re-reads the mark once it is established, so an
 *   abort that lands between the pre-start check and the watch still stops the job;
 * - a hard abort (`abortTimeout: 0`) aborts the processor's signal with an {@link Abort}, unsubscribes an
 *   Observable processor and rejects at once, whether or not the processor honours its signal, so BullMQ
 *   fails the job and frees its slot;
 * - a graceful abort emits on `abortRequested$` and stops the job hard after `abortTimeout` unless it
 *   ends first (a job that fails after it was asked to stop is not retried either).
 *
 * `backend.watch` is used rather than `abortable.abort$` because a live mark of an earlier job with the
 * same custom id must be passed over, and `abort$` completes after its first mark.
 *
 * ```text
 * processor: --a--b--c--|
 * abort:     -----A               (abortTimeout 0)
 * result:    -----#               # = JobAbortedError; signal aborted, processor unsubscribed
 * abort:     -----G               (abortTimeout 4 frames)
 * result:    ---------#           unless the processor completes first (then its result, reported finished)
 * ```
 */
export function runJob<R>(options: RunJobOptions): Promise<R> {
  const { abortable, jobId, abortId, job, signal: bullSignal } = options;
  return new Promise<R>((resolve, reject) => {
    const controller = new AbortController();
    const requests = new ReplaySubject<AbortRequest>(1);
    const watches = new Subscription();
    let request: AbortRequest | undefined;
    let started = false;
    let settled = false;
    let task: Subscription | undefined;
    const context: JobContext = {
      abortId,
      abortRequested$: requests.asObservable(),
      abortRequested: () => (request === undefined ? null : Math.max(0, request.deadline - Date.now())),
    };
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      watches.unsubscribe();
      bullSignal?.removeEventListener('abort', onCancel);
      requests.complete();
      finish();
    };
    const stopHard = (error: unknown, reason: unknown): void => {
      if (settled) return;
      controller.abort(reason);
      task?.unsubscribe();
      settle(() => reject(error));
    };
    const stopByMark = (event: AbortEvent): void => {
      if (settled) return;
      reportOutcome(abortable, { type: started ? 'stopped' : 'skipped', id: abortId, event });
      stopHard(new JobAbortedError(jobId, { event, started }), new Abort(event));
    };
    const onAbort = (event: AbortEvent): void => {
      if (event.abortTimeout === 0 || !started) {
        stopByMark(event);
        return;
      }
      request = { event, deadline: Date.now() + event.abortTimeout, timeLeft: event.abortTimeout };
      requests.next(request);
      watches.add(timer(event.abortTimeout).subscribe(() => stopByMark(event)));
    };
    function onCancel(): void {
      const reason: unknown = bullSignal?.reason;
      stopHard(
        new JobAbortedError(jobId, { reason: typeof reason === 'string' ? reason : undefined, started }),
        reason,
      );
    }

    if (bullSignal?.aborted) {
      onCancel();
      return;
    }
    bullSignal?.addEventListener('abort', onCancel, { once: true });
    watches.add(
      abortable.backend
        .watch(abortId)
        .pipe(
          filter((mark) => markStopsJob(mark, job)),
          take(1),
        )
        .subscribe({
          next: onAbort,
          // The job can no longer be watched (backend closed or misconfigured): stop it as a failure (BullMQ
          // may retry it) rather than let it run unwatched.
          error: (error: unknown) => stopHard(error, error),
        }),
    );
    if (settled) return;
    started = true;
    let result: unknown;
    task = defer(() => toObservable(options.process(controller.signal, context))).subscribe({
      next: (value) => {
        result = value;
      },
      error: (error: unknown) =>
        settle(() => {
          if (request === undefined) reject(error);
          else reject(new JobAbortedError(jobId, { event: request.event, started, cause: error }));
        }),
      complete: () =>
        settle(() => {
          if (request !== undefined) {
            reportOutcome(abortable, { type: 'finished', id: abortId, event: request.event });
          }
          resolve(result as R);
        }),
    });
    // Stopped while the processor was being called (a synchronous abort): cut it now.
    if (settled) task.unsubscribe();
  });
}
