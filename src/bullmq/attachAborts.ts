import type { Job, Worker } from 'bullmq';
import { ChildCommand } from 'bullmq';
import { filter, type Subscription, take } from 'rxjs';
import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';
import { jobAbortId } from './jobAbortId.js';
import { markStopsJob } from './markApplies.js';
import { reportOutcome } from './reportOutcome.js';
import { abortableOption, validateKnownOptions } from './validateKeys.js';

/** Options of {@link attachAborts}. */
export interface AttachAbortsOptions {
  /** The Abortable whose backend holds the marks. @default the process-wide default */
  abortable?: Abortable;
}

/** What {@link attachAborts} needs of a BullMQ `Worker`. */
export type AbortsWorker = Pick<
  Worker,
  'processJob' | 'cancelJob' | 'qualifiedName' | 'emit' | 'listenerCount'
>;

type ProcessJob = (job: Job, ...rest: unknown[]) => Promise<unknown>;

/**
 * Does the running-job half of aborts for any BullMQ `Worker`, including sandboxed processors given as a
 * file path: it watches each job the worker runs and calls `worker.cancelJob(job.id, reason)` when the job
 * is aborted in mode `'abort'` (from any process), so the processor's `signal` aborts (in the child
 * process, for a sandboxed one; BullMQ 6 or later), and reports the outcome `'stopped'` for the job's abort
 * id, so `abortable.abortAndWait(jobAbortId(queue, jobId))` and `abortable.outcome$()` confirm it. The watch
 * re-reads the mark once established, so a job aborted just before it was taken is cancelled as soon as it
 * starts.
 *
 * A job's watch lives exactly as long as the worker holds the job: `attachAborts` wraps the worker's
 * `processJob` (the public method BullMQ calls for every job it runs, in 5.64 and 6.x), starts the watch when
 * it is called and releases it when it settles, however the job leaves: completed, failed, moved back to
 * delayed (`DelayedError`), to waiting-children (`WaitingChildrenError`), rate-limited, or its lock lost.
 * A job whose lock was lost while its processor still runs stays watched until the processor returns, so an
 * abort still reaches it. Jobs fetched by hand (`worker.getNextJob()`, manual processing) are not watched
 * (BullMQ cannot cancel them either).
 *
 * ```text
 * processJob:   ^------------------------!         (a processor that honours its signal)
 * abort:        ------A                            (mode 'abort', from any process)
 * cancelJob:    ------c                            the signal aborts; 'stopped' is reported
 * watch:        ^-----!                            released on the abort, or when processJob settles
 * ```
 *
 * What it does not do: skip a job before it starts (the processor is already running when the job reaches
 * `processJob`) or honour `'cancel'` marks; the processor decides what a cancelled signal means (throw an
 * `UnrecoverableError` to fail it without retries). {@link abortableProcessor} does all of that for
 * processors given as functions.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { Abortable, RedisBackend } from 'rx-abort';
 * import { attachAborts } from 'rx-abort/bullmq';
 * const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
 * const abortable = new Abortable({ backend: RedisBackend.fromUrl('redis://127.0.0.1:6379') });
 * const worker = new Worker('reports', new URL('./reportProcessor.js', import.meta.url), { connection });
 * const detach = attachAborts(worker, { abortable });
 * // ... on shutdown:
 * detach();
 * await worker.close();
 * await abortable.close();
 * ```
 * @param worker - a BullMQ `Worker` (BullMQ 5.64 or later; 6 or later for sandboxed processors).
 * @param options - see {@link AttachAbortsOptions}.
 * @returns a function that restores `processJob` and releases every watch (idempotent).
 * @throws TypeError for a worker without `cancelJob` (BullMQ before 5.64) or invalid options; Error for a
 *   sandboxed worker on a BullMQ that cannot cancel sandboxed jobs (before 6.0).
 */
export function attachAborts(worker: AbortsWorker, options?: AttachAbortsOptions): () => void {
  if (
    worker === null ||
    typeof worker !== 'object' ||
    typeof worker.processJob !== 'function' ||
    typeof worker.qualifiedName !== 'string'
  ) {
    throw new TypeError('worker must be a BullMQ Worker');
  }
  if (typeof worker.cancelJob !== 'function') {
    throw new TypeError('worker.cancelJob is missing: attachAborts needs BullMQ 5.64 or later');
  }
  const checked = validateKnownOptions<AttachAbortsOptions>(options, ['abortable']);
  const abortable = abortableOption(checked);
  // BullMQ 5.x creates a sandboxed job's signal in the parent but never forwards it to the child process
  // (ChildCommand.Cancel came with 6.0): cancelling would do nothing. Say so instead of failing silently.
  const sandboxed = (worker as unknown as { childPool?: unknown }).childPool !== undefined;
  if (sandboxed && (ChildCommand as Record<string, unknown>).Cancel === undefined) {
    throw new Error(
      'attachAborts: this BullMQ version does not forward cancelJob to sandboxed processors; upgrade bullmq to 6.0 or later',
    );
  }

  // A worker's 'error' event, or a process warning when nobody listens (emitting 'error' without a
  // listener would throw and crash the process).
  const report = (error: unknown): void => {
    if (worker.listenerCount('error') > 0) worker.emit('error', error as Error);
    else
      process.emitWarning(
        `rx-abort attachAborts: ${(error as Error)?.message ?? String(error)}`,
        'RxAbortWarning',
      );
  };
  // One watch per job id, tagged with the Job object it was made for: a job that leaves and is taken again
  // (a DelayedError, then promoted) is a new Job object, whose watch the old run's end must not release.
  const watches = new Map<string, { readonly job: Job; readonly subscription: Subscription }>();
  const release = (jobId: string, job: Job): void => {
    const watch = watches.get(jobId);
    if (watch?.job !== job) return;
    watches.delete(jobId);
    watch.subscription.unsubscribe();
  };
  // Jobs cancelled because of an abort, until their run settles: then their outcome is reported.
  const cancelled = new Map<
    Job,
    { readonly id: string; readonly event: AbortEvent; readonly failedReason: string | undefined }
  >();
  const settled = (job: Job): void => {
    const abort = cancelled.get(job);
    if (abort === undefined) return;
    cancelled.delete(job);
    // BullMQ sets job.failedReason when this run fails (a retried job carries its last attempt's until
    // then). A processor that ignored its signal, or was past its last step, may have completed the job.
    const type = job.failedReason !== abort.failedReason ? 'stopped' : 'finished';
    reportOutcome(abortable, { type, id: abort.id, event: abort.event });
  };
  const watch = (job: Job): void => {
    const jobId = job.id;
    if (jobId === undefined) return;
    watches.get(jobId)?.subscription.unsubscribe();
    watches.delete(jobId);
    let abortId: string;
    try {
      abortId = jobAbortId(worker, jobId);
    } catch (error) {
      report(error);
      return;
    }
    const subscription = abortable.backend
      .watch(abortId)
      .pipe(
        filter((mark) => markStopsJob(mark, job)),
        take(1),
      )
      .subscribe({
        next: (event) => {
          release(jobId, job);
          const reason = event.reason === undefined ? 'aborted' : `aborted: ${event.reason}`;
          // false: BullMQ no longer holds the job (it has just ended), or its processor takes no signal.
          // Cancelled only signals the processor: what became of the job is reported when it has settled.
          if (worker.cancelJob(jobId, reason)) {
            cancelled.set(job, { id: abortId, event, failedReason: job.failedReason });
          }
        },
        // The job can no longer be watched: cancel it rather than let it run unwatched, and say why.
        error: (error: unknown) => {
          release(jobId, job);
          worker.cancelJob(jobId, `rx-abort cannot watch this job: ${(error as Error)?.message ?? error}`);
          report(error);
        },
      });
    if (!subscription.closed) watches.set(jobId, { job, subscription });
  };

  let attached = true;
  const hooked = worker as unknown as { processJob: ProcessJob };
  const ownBefore = Object.hasOwn(hooked, 'processJob');
  const original = hooked.processJob;
  const processJob: ProcessJob = function (this: unknown, job, ...rest) {
    const run = original.call(this, job, ...rest);
    if (!attached) return run;
    // BullMQ has started tracking the job (its AbortController exists) when processJob returns its promise.
    watch(job);
    const done = (): void => {
      release(String(job.id), job);
      settled(job);
    };
    Promise.resolve(run).then(done, done);
    return run;
  };
  hooked.processJob = processJob;
  return () => {
    if (!attached) return;
    attached = false;
    // Restored only if nothing wrapped it since; otherwise the wrapper stays, passing every job through.
    if (hooked.processJob === processJob) {
      if (ownBefore) hooked.processJob = original;
      else delete (hooked as Partial<typeof hooked>).processJob;
    }
    for (const { subscription } of watches.values()) subscription.unsubscribe();
    watches.clear();
  };
}
