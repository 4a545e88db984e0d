import { finalize, NEVER, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { JobAbortedError } from '../../src/bullmq/JobAbortedError.js';
import { runJob } from '../../src/bullmq/runJob.js';
import { Abort, Abortable, type EventBackend, MemoryBackend } from '../../src/index.js';

const setup = (backend: EventBackend = new MemoryBackend()) => {
  const abortable = new Abortable({ backend });
  const job = { timestamp: Date.now() - 10, attemptsStarted: 1 };
  return { abortable, job, base: { abortable, jobId: '1', abortId: 'bull:q:1', job } };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runJob', () => {
  it('resolves with a value, a promise or the last value of an Observable', async () => {
    const { base } = setup();
    await expect(runJob({ ...base, signal: undefined, process: () => 7 })).resolves.toBe(7);
    await expect(runJob({ ...base, signal: undefined, process: async () => 8 })).resolves.toBe(8);
    const three = new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.next(3);
      subscriber.complete();
    });
    await expect(runJob({ ...base, signal: undefined, process: () => three })).resolves.toBe(3);
  });

  it('on a hard abort: aborts the signal with an Abort, unsubscribes the processor, rejects at once', async () => {
    const { abortable, base } = setup();
    let signal: AbortSignal | undefined;
    let tornDown = false;
    const running = runJob({
      ...base,
      signal: undefined,
      process: (given) => {
        signal = given;
        return NEVER.pipe(
          finalize(() => {
            tornDown = true;
          }),
        );
      },
    });
    await abortable.abort('bull:q:1', { reason: 'stop' });
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobAbortedError);
    expect((error as JobAbortedError).message).toBe('aborted while running: job "1": stop');
    expect((error as JobAbortedError).started).toBe(true);
    expect(signal?.reason).toBeInstanceOf(Abort);
    expect(tornDown).toBe(true);
  });

  it('rejects at once even when the processor ignores its signal', async () => {
    const { abortable, base } = setup();
    const running = runJob({ ...base, signal: undefined, process: () => new Promise(() => {}) });
    await abortable.abort('bull:q:1');
    await expect(running).rejects.toBeInstanceOf(JobAbortedError);
  });

  it("passes over a mark older than the job, and a 'cancel'", async () => {
    const { abortable, base, job } = setup();
    await abortable.abort('bull:q:1', { mode: 'cancel' });
    const running = runJob({
      ...base,
      job: { ...job, timestamp: Date.now() + 1000 },
      signal: undefined,
      process: () => sleep(30).then(() => 'done'),
    });
    await abortable.abort('bull:q:1'); // older than this job (its timestamp is in the future)
    await expect(running).resolves.toBe('done');
  });

  it("stops on BullMQ's own cancelJob (its signal), with its reason", async () => {
    const { base } = setup();
    const bull = new AbortController();
    let signal: AbortSignal | undefined;
    const running = runJob({
      ...base,
      signal: bull.signal,
      process: (given) => {
        signal = given;
        return NEVER;
      },
    });
    bull.abort('user cancelled');
    await expect(running).rejects.toThrow('aborted while running: job "1": user cancelled');
    expect(signal?.reason).toBe('user cancelled');
  });

  it('a graceful abort: told first; finishing in time resolves, else stopped at the deadline', async () => {
    const { abortable, base } = setup();
    const told: number[] = [];
    const polite = runJob({
      ...base,
      signal: undefined,
      process: (_signal, context) =>
        new Promise((resolve) =>
          context.abortRequested$.subscribe((request) => {
            told.push(request.timeLeft);
            expect(context.abortRequested()).toBeGreaterThan(0);
            setTimeout(() => resolve('wrapped up'), 10);
          }),
        ),
    });
    await abortable.abort('bull:q:1', { abortTimeout: 1000 });
    await expect(polite).resolves.toBe('wrapped up');
    expect(told).toEqual([1000]);

    const slow = runJob({
      ...base,
      abortId: 'bull:q:2',
      jobId: '2',
      signal: undefined,
      process: () => NEVER,
    });
    const at = Date.now();
    await abortable.abort('bull:q:2', { abortTimeout: 50 });
    await expect(slow).rejects.toBeInstanceOf(JobAbortedError);
    expect(Date.now() - at).toBeGreaterThanOrEqual(45);
  });

  it('a job that fails after a graceful abort was requested fails as aborted (not retried)', async () => {
    const { abortable, base } = setup();
    const running = runJob({
      ...base,
      signal: undefined,
      process: (_signal, context) =>
        new Promise((_resolve, reject) =>
          context.abortRequested$.subscribe(() => reject(new Error('gave up'))),
        ),
    });
    await abortable.abort('bull:q:1', { abortTimeout: 1000 });
    const error = (await running.catch((e: unknown) => e)) as JobAbortedError;
    expect(error).toBeInstanceOf(JobAbortedError);
    expect((error.cause as Error).message).toBe('gave up');
  });

  it('fails the job, rather than run it unwatched, when the backend cannot watch', async () => {
    const backend = new MemoryBackend();
    const { base } = setup(backend);
    await backend.close();
    const running = runJob({ ...base, signal: undefined, process: () => NEVER });
    await expect(running).rejects.toThrow();
    await expect(running).rejects.not.toBeInstanceOf(JobAbortedError);
  });

  it('reports abort outcomes for confirmed aborts: stopped, finished, and warns when a report fails', async () => {
    const { abortable, base } = setup();
    const stopped = runJob({ ...base, signal: undefined, process: () => NEVER });
    stopped.catch(() => {});
    expect(await abortable.abortAndWait('bull:q:1', { timeout: 2000 })).toMatchObject({
      id: 'bull:q:1',
      outcome: 'stopped',
    });
    await expect(stopped).rejects.toBeInstanceOf(JobAbortedError);

    const polite = runJob({
      ...base,
      abortId: 'bull:q:2',
      jobId: '2',
      signal: undefined,
      process: (_signal, context) =>
        new Promise((resolve) =>
          context.abortRequested$.subscribe(() => setTimeout(() => resolve('ok'), 10)),
        ),
    });
    expect(await abortable.abortAndWait('bull:q:2', { abortTimeout: 1000, timeout: 2000 })).toMatchObject({
      outcome: 'finished',
    });
    await expect(polite).resolves.toBe('ok');

    const memory = new MemoryBackend();
    const failing = setup({
      mark: (events, ttl) => memory.mark(events, ttl),
      read: (id) => memory.read(id),
      watch: (id) => memory.watch(id),
      reportOutcome: () => Promise.reject(new Error('ECONNREFUSED')),
      readOutcome: (id) => memory.readOutcome(id),
      watchOutcome: (id) => memory.watchOutcome(id),
      close: () => memory.close(),
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    const doomed = runJob({ ...failing.base, signal: undefined, process: () => NEVER });
    await failing.abortable.abort('bull:q:1');
    await expect(doomed).rejects.toBeInstanceOf(JobAbortedError);
    const warning = await warned;
    expect(warning).toMatchObject({ name: 'OutcomeReportError', code: 'RX_ABORT_OUTCOME_NOT_REPORTED' });
  });
});
