import { type Job, type Queue, type UnrecoverableError, Worker } from 'bullmq';
import { of } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AbortJobResult,
  abortableProcessor,
  abortJob,
  attachAborts,
  JobAbortedError,
  type JobContext,
  jobAbortId,
} from '../../src/bullmq/index.js';
import type { Abortable } from '../../src/index.js';

declare const abortable: Abortable;
declare const queue: Queue<{ to: string }>;

describe('rx-abort/bullmq types', () => {
  it('abortableProcessor gives the processor its job, token, signal and context, and fits a Worker', () => {
    const processor = abortableProcessor<{ to: string }, number>(
      (job, token, signal, context) => {
        expectTypeOf(job).toEqualTypeOf<Job<{ to: string }, number, string>>();
        expectTypeOf(token).toEqualTypeOf<string | undefined>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(context).toEqualTypeOf<JobContext>();
        return job.data.to.length;
      },
      { abortable },
    );
    expectTypeOf(new Worker('emails', processor)).toMatchTypeOf<Worker>();
    // A processor may return an Observable or a value too.
    abortableProcessor(() => of(1), { abortable });
    abortableProcessor(() => 'done', { abortable });
  });

  it('abortJob resolves with what happened; jobAbortId is a string; JobAbortedError is unrecoverable', () => {
    expectTypeOf(abortJob(queue, '1', { abortable, mode: 'cancel' })).toEqualTypeOf<
      Promise<AbortJobResult>
    >();
    expectTypeOf<AbortJobResult>().toEqualTypeOf<
      'removed' | 'signalled' | 'ignored' | 'finished' | 'not-found'
    >();
    expectTypeOf(jobAbortId(queue, '1')).toEqualTypeOf<string>();
    expectTypeOf(new JobAbortedError('1', { started: true })).toMatchTypeOf<UnrecoverableError>();
    expectTypeOf(attachAborts(new Worker('emails', null), { abortable })).toEqualTypeOf<() => void>();
  });
});
