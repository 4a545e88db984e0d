import type { Observable } from 'rxjs';
import type { AbortRequest } from '../actors/TaskContext.js';

/**
 * The fourth argument of a processor given to {@link abortableProcessor}: the job's abort id and its
 * graceful-abort stream.
 *
 * - `abortRequested$` emits one `AbortRequest` (`{ event, deadline, timeLeft }`) when the running job is
 *   aborted with `abortTimeout > 0`, replayed to late subscribers, and completes when the job ends.
 * - `abortRequested()` is the synchronous form: milliseconds left before the hard stop, or `null`.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend } from 'rx-abort';
 * import { abortableProcessor, type JobContext } from 'rx-abort/bullmq';
 * const abortable = new Abortable({ backend: new MemoryBackend() });
 * const processor = abortableProcessor(
 *   async (job, _token, signal, context: JobContext) => {
 *     for (let row = 0; row < 1000 && context.abortRequested() === null; row++) {
 *       if (signal.aborted) break;
 *       await new Promise((resolve) => setTimeout(resolve, 1));
 *     }
 *     return job.id;
 *   },
 *   { abortable },
 * );
 * ```
 */
export interface JobContext {
  /** The job's abort id ({@link jobAbortId}). */
  readonly abortId: string;
  /** Emits once on a graceful abort (`abortTimeout > 0`), replayed to late subscribers; completes when the job ends. */
  readonly abortRequested$: Observable<AbortRequest>;
  /** Milliseconds left before a requested graceful abort stops the job hard, or `null` when none was requested. */
  abortRequested(): number | null;
}
