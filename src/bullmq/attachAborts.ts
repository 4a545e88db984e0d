import type { Job, Worker } from 'bullmq';
import { ChildCommand } from 'bullmq';
import { filter, type Subscription, take } from 'rxjs';
import type { Abortable } from '../core/Abortable.js';
import { jobAbortId } from './jobAbortId.js';
import { markStopsJob } from './markApplies.js';
import { abortableOption, validateKnownOptions } from './validateKeys.js';

/** Options of {@link attachAborts}. */
export interface AttachAbortsOptions {
  /** The Abortable whose backend holds the marks. @default the process-wide default */
  abortable?: Abortable;
}

/** What {@link attachAborts} needs of a BullMQ `Worker`. */
export type AbortsWorker = Pick<
  Worker,
  'on' | 'off' | 'cancelJob' | 'qualifiedName' | 'emit' | 'listenerCount'
>;

/**
 * Does the running-job half of aborts for any BullMQ `Worker`, including sandboxed processors given as a
 * file path: it watches each job the worker takes (its `'active'` event) and calls
 * `worker.cancelJob(job.id, reason)` when the job is aborted in mode `'abort'` (from any process), so the
 * processor's `signal` aborts (in the child process, for a sandboxed one; BullMQ 6 or later). The watch
 * re-reads the mark once established, so a job aborted just before it was taken is cancelled as soon as it
 * starts. The watch of a job is released when it completes or fails, and all of them by the returned
 * function.
 *
 * What it does not do: skip a job before it starts (the processor is already running when `'active'` is
 * emitted) or honour `'cancel'` marks; the processor decides what a cancelled signal means (throw an
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
 * @returns a function that removes the listeners and releases every watch (idempotent).
 * @throws TypeError for a worker without `cancelJob` (BullMQ before 5.64) or invalid options; Error for a
 *   sandboxed worker on a BullMQ that cannot cancel sandboxed jobs (before 6.0).
 */
export function attachAborts(worker: AbortsWorker, options?: AttachAbortsOptions): () => void {
  if (
    worker === null ||
    typeof worker !== 'object' ||
    typeof worker.on !== 'function' ||
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
  const watches = new Map<string, Subscription>();
  const release = (jobId: string): void => {
    watches.get(jobId)?.unsubscribe();
    watches.delete(jobId);
  };
  const onActive = (job: Job): void => {
    const jobId = job.id;
    if (jobId === undefined) return;
    release(jobId);
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
          release(jobId);
          worker.cancelJob(jobId, event.reason === undefined ? 'aborted' : `aborted: ${event.reason}`);
        },
        // The job can no longer be watched: cancel it rather than let it run unwatched, and say why.
        error: (error: unknown) => {
          release(jobId);
          worker.cancelJob(jobId, `rx-abort cannot watch this job: ${(error as Error)?.message ?? error}`);
          report(error);
        },
      });
    if (!subscription.closed) watches.set(jobId, subscription);
  };
  const onFinished = (job: Job | undefined): void => {
    if (job?.id !== undefined) release(job.id);
  };
  worker.on('active', onActive);
  worker.on('completed', onFinished);
  worker.on('failed', onFinished);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    worker.off('active', onActive);
    worker.off('completed', onFinished);
    worker.off('failed', onFinished);
    for (const subscription of watches.values()) subscription.unsubscribe();
    watches.clear();
  };
}
