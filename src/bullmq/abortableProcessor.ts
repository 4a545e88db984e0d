import type { Job } from 'bullmq';
import { DelayedError } from 'bullmq';
import type { Observable } from 'rxjs';
import { validateCount } from '../actors/validate.js';
import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';
import { validateMilliseconds } from '../core/validate.js';
import { JobAbortedError } from './JobAbortedError.js';
import type { JobContext } from './JobContext.js';
import { jobAbortId } from './jobAbortId.js';
import { markSkipsJob } from './markApplies.js';
import { reportOutcome } from './reportOutcome.js';
import { runJob } from './runJob.js';
import { abortableOption, validateKnownOptions } from './validateKeys.js';

/**
 * A BullMQ processor that is told about aborts: BullMQ's `(job, token)`, then the job's `signal` (always
 * given) and its {@link JobContext}. It may return a value, a promise or an Observable (its last value is
 * the job's result; it is unsubscribed on abort).
 */
export type AbortableJobProcessor<
  DataType = unknown,
  ResultType = unknown,
  NameType extends string = string,
> = (
  job: Job<DataType, ResultType, NameType>,
  token: string | undefined,
  signal: AbortSignal,
  context: JobContext,
) => ResultType | PromiseLike<ResultType> | Observable<ResultType>;

/** The processor {@link abortableProcessor} returns: a BullMQ `Processor` that declares all three parameters. */
// biome-ignore lint/suspicious/noExplicitAny: BullMQ's own defaults, so a processor fits any Worker.
export type BullProcessor<DataType = any, ResultType = any, NameType extends string = string> = (
  job: Job<DataType, ResultType, NameType>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ResultType>;

/** Options of {@link abortableProcessor}. */
export interface AbortableProcessorOptions {
  /** The Abortable whose backend holds the marks (a `RedisBackend` across processes). @default the process-wide default */
  abortable?: Abortable;
  /**
   * How many times the pre-start check (one read of the job's mark) is tried before the job is moved back
   * to the delayed set, unrun, to be tried again later.
   * @default 3
   */
  abortCheckAttempts?: number;
  /** Milliseconds before the second check attempt; doubles for each further one. @default 200 */
  abortCheckBackoff?: number;
  /** Milliseconds one check attempt may take before it counts as failed. @default 5000 */
  abortCheckTimeout?: number;
  /** Milliseconds a job whose check failed waits in the delayed set before it is taken again. @default 5000 */
  abortCheckRetryDelay?: number;
}

const OPTION_KEYS = [
  'abortable',
  'abortCheckAttempts',
  'abortCheckBackoff',
  'abortCheckTimeout',
  'abortCheckRetryDelay',
] as const satisfies readonly (keyof AbortableProcessorOptions)[];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readWithTimeout(
  abortable: Abortable,
  id: string,
  timeout: number,
): Promise<AbortEvent | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      abortable.aborted(id),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the abort check took more than ${timeout} ms`)), timeout);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wraps a BullMQ processor so that its jobs can be aborted by id from any process ({@link abortJob}).
 *
 * - Before the processor runs, the job's mark is read: a live mark in either mode (written at or after the
 *   job was created) fails the job at once with a {@link JobAbortedError}, never retried. If the read fails
 *   (Redis down), it is retried, then the job is moved back to the delayed set unrun: an abortable job that
 *   could not be checked never runs.
 * - While it runs, its `signal` aborts (with an `Abort` as reason) when the job is aborted in mode
 *   `'abort'` from any process, and also on BullMQ's own `worker.cancelJob(jobId)`. A hard abort fails the
 *   job at once with a `JobAbortedError`, even if the processor ignores its signal, so the worker's slot is
 *   free; a processor that ignores it keeps running in the background until it returns, and its result is
 *   discarded. A graceful abort (`abortTimeout > 0`) emits on `context.abortRequested$` first and stops the
 *   job hard at the deadline unless it finishes first (then it completes normally).
 *
 * The returned function declares three parameters (`job, token, signal`): BullMQ only creates a job's
 * `AbortController` for processors with `length >= 3`. Use it for processors given as functions; for
 * sandboxed processors (a file path), use {@link attachAborts}.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { Abortable, RedisBackend } from 'rx-abort';
 * import { abortableProcessor } from 'rx-abort/bullmq';
 * const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
 * const abortable = new Abortable({ backend: RedisBackend.fromUrl('redis://127.0.0.1:6379') });
 * const worker = new Worker(
 *   'emails',
 *   abortableProcessor(async (job, _token, signal) => {
 *     const response = await fetch(`https://example.com/send/${job.id}`, { signal });
 *     return response.status;
 *   }, { abortable }),
 *   { connection },
 * );
 * await worker.close();
 * await abortable.close();
 * ```
 * @param processor - the job's work: `(job, token, signal, context)`.
 * @param options - see {@link AbortableProcessorOptions}.
 * @returns a BullMQ processor.
 * @throws TypeError / RangeError for a processor that is not a function or invalid options; NoAbortableError when no Abortable is found.
 */
export function abortableProcessor<
  DataType = unknown,
  ResultType = unknown,
  NameType extends string = string,
>(
  processor: AbortableJobProcessor<DataType, ResultType, NameType>,
  options?: AbortableProcessorOptions,
): BullProcessor<DataType, ResultType, NameType> {
  if (typeof processor !== 'function') throw new TypeError('processor must be a function');
  const checked = validateKnownOptions<AbortableProcessorOptions>(options, OPTION_KEYS);
  const abortable = abortableOption(checked);
  const attempts =
    checked.abortCheckAttempts === undefined
      ? 3
      : validateCount(checked.abortCheckAttempts, 'options.abortCheckAttempts', 1, 100);
  const backoff =
    checked.abortCheckBackoff === undefined
      ? 200
      : validateMilliseconds(checked.abortCheckBackoff, 'options.abortCheckBackoff', 0, 60_000);
  const checkTimeout =
    checked.abortCheckTimeout === undefined
      ? 5000
      : validateMilliseconds(checked.abortCheckTimeout, 'options.abortCheckTimeout', 1, 2 ** 31 - 1);
  const retryDelay =
    checked.abortCheckRetryDelay === undefined
      ? 5000
      : validateMilliseconds(checked.abortCheckRetryDelay, 'options.abortCheckRetryDelay', 0, 2 ** 31 - 1);

  const check = async (id: string): Promise<AbortEvent | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await readWithTimeout(abortable, id, checkTimeout);
      } catch (error) {
        if (attempt >= attempts) throw error;
        await sleep(backoff * 2 ** (attempt - 1));
      }
    }
  };

  // A plain function with three declared parameters: BullMQ reads `processor.length`.
  return async function processAbortable(
    job: Job<DataType, ResultType, NameType>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<ResultType> {
    const jobId = String(job.id);
    const abortId = jobAbortId({ qualifiedName: job.queueQualifiedName }, jobId);
    let mark: AbortEvent | null;
    try {
      mark = await check(abortId);
    } catch (error) {
      if (token === undefined) throw error;
      // Never run an abortable job that could not be checked: back to the delayed set, unrun (this does
      // not count as an attempt), to be checked again later.
      try {
        await job.moveToDelayed(Date.now() + retryDelay, token);
      } catch {
        throw new Error(`Could not check whether job ${JSON.stringify(jobId)} was aborted`, { cause: error });
      }
      throw new DelayedError(`the abort check of job ${JSON.stringify(jobId)} failed; retrying later`);
    }
    if (mark !== null && markSkipsJob(mark, job)) {
      reportOutcome(abortable, { type: 'skipped', id: abortId, event: mark });
      throw new JobAbortedError(jobId, { event: mark, started: false });
    }
    return runJob<ResultType>({
      abortable,
      jobId,
      abortId,
      job,
      signal,
      process: (jobSignal, context) => processor(job, token, jobSignal, context),
    });
  };
}
