import { validateId } from '../core/validate.js';

/** What {@link jobAbortId} needs of a queue: its qualified name (a BullMQ `Queue`, `Worker` or `QueueEvents`). */
export interface QualifiedQueue {
  /** `<prefix>:<name>`, e.g. `bull:emails`. */
  readonly qualifiedName: string;
}

/**
 * The id under which a BullMQ job's abort mark is written and watched: the queue's qualified name (its
 * prefix and name) and the job id, e.g. `bull:emails:42`. Jobs of two queues with the same job id never
 * share a mark. Pass it to `abortable.abort$()` or `abortable.aborted()` to look at a job's mark directly.
 *
 * @example
 * ```ts
 * import { Queue } from 'bullmq';
 * import { jobAbortId } from 'rx-abort/bullmq';
 * const queue = new Queue('emails', { connection: { host: '127.0.0.1', port: 6379 } });
 * console.log(jobAbortId(queue, '42')); // 'bull:emails:42'
 * await queue.close();
 * ```
 * @param queue - the job's queue (or worker): anything with BullMQ's `qualifiedName`.
 * @param jobId - the BullMQ job id.
 * @returns the abort id.
 * @throws TypeError when `queue` has no qualified name; TypeError / RangeError for an invalid job id.
 */
export function jobAbortId(queue: QualifiedQueue, jobId: string): string {
  if (queue === null || typeof queue !== 'object' || typeof queue.qualifiedName !== 'string') {
    throw new TypeError('queue must be a BullMQ Queue or Worker (an object with a qualifiedName)');
  }
  validateId(jobId, 'jobId');
  const id = `${queue.qualifiedName}:${jobId}`;
  validateId(id, 'the abort id of this job (queue prefix, name and job id)');
  return id;
}
