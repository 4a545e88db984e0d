import type { AbortOptions } from '../core/Abortable.js';
import type { TopLevelAbortOptions } from '../core/abort.js';
import { validateAbortFields } from '../core/validate.js';
import { jobAbortId } from './jobAbortId.js';
import { abortableOption, validateKnownOptions } from './validateKeys.js';

/**
 * What {@link abortJob} did:
 * - `'removed'`: the job was waiting, delayed, prioritized or waiting for its children, and is gone;
 * - `'signalled'`: it is active, or was taken by a worker in the meantime: the mark is written, and an
 *   {@link abortableProcessor} (or {@link attachAborts}) stops it, or skips it if it had not checked yet;
 * - `'ignored'`: mode `'cancel'` on an active job (a cancel only skips work that has not started; its
 *   mark is written, so a worker that took the job a moment ago and had not checked yet still skips it);
 * - `'finished'`: it had already completed or failed, or a worker took it just before the mark and completed
 *   it;
 * - `'not-found'`: no such job (never added, or already removed).
 */
export type AbortJobResult = 'removed' | 'signalled' | 'ignored' | 'finished' | 'not-found';

/** Options of {@link abortJob}: the options of `abort()`. */
export interface AbortJobOptions extends TopLevelAbortOptions {}

/** What {@link abortJob} needs of a BullMQ `Queue` (any of its type parameters). */
export interface AbortJobQueue {
  /** `<prefix>:<name>`. */
  readonly qualifiedName: string;
  /** BullMQ's `queue.getJobState(jobId)`. */
  getJobState(jobId: string): Promise<string>;
  /** BullMQ's `queue.remove(jobId)`: 1 when removed, 0 when the job is locked (active). */
  remove(jobId: string): Promise<number>;
}

const OPTION_KEYS = ['abortable', 'mode', 'abortTtl', 'abortTimeout', 'reason'] as const satisfies readonly (
  | keyof AbortJobOptions
  | keyof AbortOptions
)[];

const REMOVABLE = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'wait', 'paused']);

/**
 * How long the state read before the mark may take, in milliseconds, before the mark is written without
 * it: the mark must not wait on a queue connection that does not answer.
 */
export const STATE_READ_BOUND = 1000;

/**
 * Aborts a BullMQ job by id, from any process, whatever its state. It reads the job's state, writes the
 * job's abort mark (`abortable.abort(jobAbortId(queue, jobId), options)`), and if the job had not started,
 * reads its state again and removes it only if it still has not started. From the mark on, a worker that
 * takes the job skips it, so a job removed on a read made after the mark would never have run again; a job
 * that a worker took just before the mark and completed is left alone and counts as `'finished'` (one that
 * failed in that moment and waits for a retry is removed, like any delayed job).
 * An active job is stopped by its worker ({@link abortableProcessor} or {@link attachAborts}); in mode
 * `'cancel'` it is left to finish.
 *
 * ```text
 * abortJob:  state? ── mark ─┬─ not started ──── state? ─┬─ not started ── remove ── 'removed'
 *                            │  (waiting, delayed,       │                   └ locked (taken meanwhile) ── state? again
 *                            │  prioritized, waiting-    ├─ active, or failed (skipped by the mark) ── 'signalled' / 'ignored'
 *                            │  children)                ├─ completed (taken and run before the mark) ── 'finished'
 *                            │                           └─ unknown ── 'not-found'
 *                            ├─ active ── 'signalled' (mode 'abort') / 'ignored' (mode 'cancel')
 *                            ├─ completed/failed ── 'finished'
 *                            └─ unknown ── 'not-found'
 * ```
 *
 * @example
 * ```ts
 * import { Queue } from 'bullmq';
 * import { Abortable, RedisBackend } from 'rx-abort';
 * import { abortJob } from 'rx-abort/bullmq';
 * const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
 * const abortable = new Abortable({ backend: RedisBackend.fromUrl('redis://127.0.0.1:6379') });
 * const queue = new Queue('emails', { connection });
 * const job = await queue.add('send', { to: 'ada@example.com' });
 * console.log(await abortJob(queue, job.id!, { abortable, reason: 'user pressed cancel' })); // 'removed'
 * await queue.close();
 * await abortable.close();
 * ```
 * @param queue - the job's queue (its prefix and name make the mark's id).
 * @param jobId - the BullMQ job id.
 * @param options - the options of `abort()`: `abortable`, `mode`, `abortTtl`, `abortTimeout`, `reason`.
 * @returns what happened (see {@link AbortJobResult}); rejects for Redis failures (the mark may then be
 *   written or not: retrying is safe).
 * @throws TypeError / RangeError synchronously for an invalid queue, job id or option; NoAbortableError when no Abortable is found.
 */
export function abortJob(
  queue: AbortJobQueue,
  jobId: string,
  options?: AbortJobOptions,
): Promise<AbortJobResult> {
  const id = jobAbortId(queue, jobId);
  if (typeof queue.getJobState !== 'function' || typeof queue.remove !== 'function') {
    throw new TypeError('queue must be a BullMQ Queue');
  }
  const checked = validateKnownOptions<AbortJobOptions>(options, OPTION_KEYS);
  const abortable = abortableOption(checked);
  const { abortable: _abortable, ...abortOptions } = checked;
  // Validates mode, abortTtl, abortTimeout and reason synchronously, as abort() does.
  const { mode } = validateAbortFields(abortOptions);
  const whenActive: AbortJobResult = mode === 'abort' ? 'signalled' : 'ignored';
  return (async (): Promise<AbortJobResult> => {
    // The state is read before the mark is written, and awaited: the queue's connection and the
    // Abortable's are two sockets, so a read sent "with" the mark can reach Redis after a one-hop abort has
    // already stopped the job, and a job stopped by this very abort would count as finished. The mark is
    // what stops the job, so it never waits on the queue for long: a failed read still lets it be written
    // (then rejects), and a read with no answer within STATE_READ_BOUND (a queue connection that is down,
    // with BullMQ's maxRetriesPerRequest: null) is given up on, the mark written, and the job's fate
    // decided on reads made after it.
    let bound: ReturnType<typeof setTimeout> | undefined;
    const stateBefore = await Promise.race([
      queue.getJobState(jobId).then(
        (state) => ({ state }),
        (error: unknown) => ({ error }),
      ),
      new Promise<{ state: 'unanswered' }>((resolve) => {
        bound = setTimeout(() => resolve({ state: 'unanswered' }), STATE_READ_BOUND);
      }),
    ]);
    clearTimeout(bound);
    await abortable.abort(id, abortOptions);
    if ('error' in stateBefore) throw stateBefore.error;
    const before = stateBefore.state;
    if (before === 'unknown') return 'not-found';
    if (before === 'completed' || before === 'failed') return 'finished';
    if (before !== 'unanswered' && !REMOVABLE.has(before)) return whenActive;
    // It had not started when the state was read, but a worker may have taken it since, checked it before
    // the mark, and even finished it: decide on a read made after the mark. From the mark on, a worker that
    // takes the job skips it, so removing a job found removable now never deletes a job whose processor ran
    // after this read (or runs at all from here on).
    for (let round = 0; ; round++) {
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') return 'not-found';
      // It ran: taken before the mark and completed.
      if (state === 'completed') return 'finished';
      // Failed since the first read: its worker took it meanwhile and the mark failed it (skipped), or it
      // was already running when the mark was written.
      if (state === 'failed' || state === 'active' || !REMOVABLE.has(state)) return whenActive;
      // Not locked: gone. Locked (a worker took it since this read, or a child of it is running): read the
      // state again to say which.
      if ((await queue.remove(jobId)) === 1) return 'removed';
      // A job whose state stays removable but cannot be removed has a running child: its mark is written.
      if (round >= 2) return whenActive;
    }
  })();
}
