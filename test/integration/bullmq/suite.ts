// The BullMQ adapter's integration suite, on real BullMQ and a real redis-server started here. Run by
// bullmq.latest.test.ts (the installed bullmq) and bullmq.oldest.test.ts (the oldest supported version,
// through vi.mock('bullmq') in this process and a resolve hook in child processes).
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Job } from 'bullmq';
import * as bullmq from 'bullmq';
import { Redis } from 'ioredis';
import { finalize, interval, map } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STATE_READ_BOUND } from '../../../src/bullmq/abortJob.js';
import {
  abortableProcessor,
  abortJob,
  attachAborts,
  JobAbortedError,
  jobAbortId,
} from '../../../src/bullmq/index.js';
import { Abortable, RedisBackend } from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

const fixture = fileURLToPath(new URL('./fixtures/bullWorker.ts', import.meta.url));
const sandboxFile = fileURLToPath(new URL('./fixtures/sandboxProcessor.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A plain processor that runs until BullMQ's `cancelJob` aborts its signal, then fails unrecoverably. */
const cancellable = (_job: Job, _token?: string, signal?: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) =>
    signal?.addEventListener('abort', () =>
      reject(new bullmq.UnrecoverableError(`cancelled: ${signal.reason}`)),
    ),
  );

interface ChildEvent {
  readonly type: string;
  readonly jobId?: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** A BullMQ worker in a child process (fixtures/bullWorker.ts) and what it reported. */
class WorkerProcess {
  readonly events: ChildEvent[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(execArgv: readonly string[], env: Record<string, string>) {
    this.child = fork(fixture, [], {
      execArgv: ['--import', 'tsx', ...execArgv],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message) => this.events.push(message as ChildEvent));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Starts a worker on `queue` in the process and waits until it is ready. */
  async start(queue: string, options: Record<string, unknown> = {}): Promise<void> {
    await this.next('up', undefined, undefined, 20_000);
    this.child.send({ cmd: 'start', queue, ...options });
    await this.next('ready', undefined, queue);
  }

  next(type: string, jobId?: string, queue?: string, ms = 10_000): Promise<ChildEvent> {
    return waitFor(
      `'${type}' ${jobId ?? ''} from the worker process`,
      () => {
        const found = this.events.find(
          (event) =>
            event.type === type &&
            (jobId === undefined || event.jobId === jobId) &&
            (queue === undefined || event.queue === queue),
        );
        if (found === undefined && (this.child.exitCode !== null || this.child.signalCode !== null)) {
          throw new Error(`the worker process exited before '${type}'`);
        }
        return found;
      },
      ms,
    );
  }

  has(type: string, jobId: string, queue: string): boolean {
    return this.events.some((event) => event.type === type && event.jobId === jobId && event.queue === queue);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.child.connected) this.child.send('stop');
      await Promise.race([this.exited, sleep(5000)]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}

/**
 * The suite, for one BullMQ version.
 * @param label - what to call it.
 * @param childExecArgv - extra node flags for child processes (the resolve hook of the oldest version).
 * @param expected - what the version under test can do (proves the right version is loaded here and in
 *   child processes).
 */
export function bullmqSuite(
  label: string,
  childExecArgv: readonly string[],
  expected: { readonly sandboxCancel: boolean },
): void {
  const { Queue, Worker } = bullmq;
  const sandboxCancel = (bullmq.ChildCommand as Record<string, unknown>).Cancel !== undefined;

  describe(label, () => {
    let server: RedisServerHandle;
    let abortable: Abortable;
    let connection: { host: string; port: number; maxRetriesPerRequest: null };
    const closers: (() => Promise<unknown>)[] = [];
    // One worker process for the whole suite (starting one costs seconds) and one to SIGKILL.
    let remote: WorkerProcess;
    let doomed: WorkerProcess;

    const queue = (name = `q${randomUUID().slice(0, 8)}`) => {
      const created = new Queue(name, { connection });
      closers.push(() => created.close());
      return created;
    };
    const worker = (name: string, processor: string | bullmq.Processor, options: bullmq.WorkerOptions) => {
      const created = new Worker(name, processor, options);
      closers.push(() => created.close(true));
      return created;
    };
    /** How many connections watch a job's mark (its keyspace channel). */
    const subscribers = async (q: bullmq.Queue, jobId: string) => {
      const channel = `__keyspace@0__:rx-abort:${jobAbortId(q, jobId)}`;
      return Number((await server.cli('PUBSUB', 'NUMSUB', channel)).split('\n')[1]);
    };
    const watched = (q: bullmq.Queue, jobId: string, count: number) =>
      waitFor(`${count} watch(es) on job ${jobId}`, async () =>
        (await subscribers(q, jobId)) === count ? true : undefined,
      );
    const failure = async (q: bullmq.Queue, jobId: string) =>
      waitFor(`job ${jobId} to finish`, async () => {
        const state = await q.getJobState(jobId);
        // Read the job after its state is final (a job read earlier holds its fields of then).
        return state === 'failed' || state === 'completed' ? await q.getJob(jobId) : undefined;
      });

    beforeAll(async () => {
      server = await startRedisServer();
      connection = { host: server.host, port: server.port, maxRetriesPerRequest: null };
      const backend = RedisBackend.fromUrl(server.url);
      abortable = new Abortable({ backend });
      remote = new WorkerProcess(childExecArgv, { REDIS_URL: server.url });
      doomed = new WorkerProcess(childExecArgv, { REDIS_URL: server.url });
      await backend.ready();
    });

    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
    });

    afterAll(async () => {
      await Promise.all([remote?.stop(), doomed?.stop()]);
      await abortable?.close();
      await server?.stop();
    });

    it('runs on the intended BullMQ version, here and in the worker processes', async () => {
      expect(sandboxCancel).toBe(expected.sandboxCancel);
      const up = await remote.next('up', undefined, undefined, 20_000);
      expect(up.sandboxCancel).toBe(expected.sandboxCancel);
    });

    it('returns a processor that declares three parameters, and validates its arguments', () => {
      const processor = abortableProcessor(() => 1, { abortable });
      expect(processor.length).toBe(3);
      expect(() => abortableProcessor(() => 1, { abortable, abortCheckAtempts: 2 } as never)).toThrow(
        /options has an unknown key "abortCheckAtempts": did you mean "abortCheckAttempts"\?/,
      );
      expect(() => abortableProcessor('x' as never, { abortable })).toThrow(TypeError);
      const q = { qualifiedName: 'bull:emails', getJobState: async () => 'unknown', remove: async () => 0 };
      expect(() => abortJob(q as never, '1', { abortable, mode: 'stop' as never })).toThrow(
        /mode must be one of/,
      );
      expect(() => abortJob(q as never, '1', { abortable, abortTtl: -1 })).toThrow(RangeError);
      expect(() => abortJob(q as never, '1', { abortable, reson: 'x' } as never)).toThrow(
        /options has an unknown key "reson": did you mean "reason"\?/,
      );
      expect(() => abortJob(q as never, '', { abortable })).toThrow(/jobId must not be empty/);
      expect(jobAbortId(q, '42')).toBe('bull:emails:42');
      expect(new JobAbortedError('42', { started: false })).toBeInstanceOf(bullmq.UnrecoverableError);
    });

    it('removes a waiting and a delayed job, and says what it did for the other states', async () => {
      const q = queue();
      const waiting = await q.add('w', {});
      const delayed = await q.add('d', {}, { delay: 60_000 });
      expect(await abortJob(q, waiting.id!, { abortable })).toBe('removed');
      expect(await abortJob(q, delayed.id!, { abortable, mode: 'cancel' })).toBe('removed');
      expect(await q.getJob(waiting.id!)).toBeUndefined();
      expect(await q.getJob(delayed.id!)).toBeUndefined();
      expect(await abortJob(q, 'never-added', { abortable })).toBe('not-found');

      const done = await q.add('c', {});
      const w = worker(
        q.name,
        abortableProcessor(async () => 'ok', { abortable }),
        { connection },
      );
      await waitFor('completion', async () => (await done.getState()) === 'completed');
      expect(await abortJob(q, done.id!, { abortable })).toBe('finished');
      await w.close();
    });

    it('stops an active job in another process at once, even when its processor ignores the signal', async () => {
      const q = queue();
      const q2 = queue();
      await remote.start(q.name);
      await remote.start(q2.name, { ignoreSignal: true, jobMs: 3000 });
      const job = await q.add('long', {});
      await remote.next('started', job.id, q.name);
      expect(await abortJob(q, job.id!, { abortable, reason: 'user pressed cancel' })).toBe('signalled');
      const signal = await remote.next('signal', job.id, q.name);
      expect(signal.abort).toBe(true);
      const failed = await remote.next('failed', job.id, q.name);
      expect(failed.name).toBe('JobAbortedError');
      expect(failed.error).toMatch(/^aborted while running: .*user pressed cancel/);

      const second = await q2.add('long', {});
      await remote.next('started', second.id, q2.name);
      const at = Date.now();
      expect(await abortJob(q2, second.id!, { abortable })).toBe('signalled');
      await remote.next('failed', second.id, q2.name);
      expect(Date.now() - at).toBeLessThan(2000); // freed long before the processor's 3 s end
      expect((await q2.getJob(second.id!))?.failedReason).toMatch(/^aborted/);
    });

    it("says signalled for an active job that its own abort stops at once, however slow the queue's reads", async () => {
      // A just-created Queue's first command waits for its connection (and BullMQ's script load), while the
      // Abortable's connection is ready: the one-hop abort can fail the job before a state read sent with
      // the mark reaches Redis. A queue whose reads take 100 ms makes that certain.
      const q = queue();
      await remote.start(q.name, { ignoreSignal: true, jobMs: 3000 });
      const job = await q.add('long', {});
      await remote.next('started', job.id, q.name);
      const slowReads = {
        qualifiedName: q.qualifiedName,
        getJobState: async (jobId: string) => {
          await sleep(100);
          return q.getJobState(jobId);
        },
        remove: (jobId: string) => q.remove(jobId),
      };
      expect(await abortJob(slowReads, job.id!, { abortable })).toBe('signalled');
      await remote.next('failed', job.id, q.name);
    });

    it('writes the mark within STATE_READ_BOUND when the queue does not answer its first state read', async () => {
      // A queue connection that is down (BullMQ's maxRetriesPerRequest: null waits forever): the mark must
      // not wait for it. The first read never answers; later ones do.
      const q = queue();
      const job = await q.add('w', {});
      let reads = 0;
      const stuckFirstRead = {
        qualifiedName: q.qualifiedName,
        getJobState: (jobId: string) =>
          reads++ === 0 ? new Promise<string>(() => {}) : q.getJobState(jobId),
        remove: (jobId: string) => q.remove(jobId),
      };
      const started = Date.now();
      expect(await abortJob(stuckFirstRead, job.id!, { abortable })).toBe('removed');
      expect(Date.now() - started).toBeGreaterThanOrEqual(STATE_READ_BOUND);
      expect(await abortable.aborted(jobAbortId(q, job.id!))).toMatchObject({ mode: 'abort' });
      expect(await q.getJob(job.id!)).toBeUndefined();
    });

    it("does not remove a job that a worker took and completed between abortJob's first state read and its mark: 'finished'", async () => {
      // The first read saw the job waiting; a worker took it (its pre-start check before the mark) and
      // completed it before the mark was written. A queue whose first read answers 'waiting' for a job that
      // has already run makes that interleaving certain.
      const q = queue();
      worker(
        q.name,
        abortableProcessor(async () => 'ran', { abortable }),
        { connection },
      );
      const job = await q.add('j', {});
      await waitFor('completion', async () =>
        (await q.getJobState(job.id!)) === 'completed' ? true : undefined,
      );
      let reads = 0;
      const staleFirstRead = {
        qualifiedName: q.qualifiedName,
        getJobState: async (jobId: string) => (reads++ === 0 ? 'waiting' : q.getJobState(jobId)),
        remove: (jobId: string) => q.remove(jobId),
      };
      expect(await abortJob(staleFirstRead, job.id!, { abortable })).toBe('finished');
      expect(reads).toBe(2);
      expect(await q.getJobState(job.id!)).toBe('completed');
      expect((await q.getJob(job.id!))?.returnvalue).toBe('ran');
    });

    it('a job aborted around the moment a worker takes it is skipped or stopped, never completed after the abort', async () => {
      const q = queue();
      await remote.start(q.name, { concurrency: 8, jobMs: 30 });
      const jobs = await q.addBulk(
        Array.from({ length: 60 }, (_, index) => ({ name: 'j', data: { index } })),
      );
      const results = await Promise.all(
        jobs.map(async (job, index) => {
          await sleep((index % 20) * 3);
          const result = await abortJob(q, job.id!, { abortable });
          return [job.id!, result] as const;
        }),
      );
      for (const [jobId, result] of results) {
        const job = await q.getJob(jobId);
        if (result === 'removed') {
          // Gone, and its processor never ran (skipped by the mark if a worker took it meanwhile).
          expect(job).toBeUndefined();
          expect(remote.has('started', jobId, q.name), `removed job ${jobId} started`).toBe(false);
        } else if (result === 'finished') {
          expect(['completed', 'failed']).toContain(await job?.getState());
        } else {
          expect(result).toBe('signalled');
          const settled = await failure(q, jobId);
          if ((await settled.getState()) === 'completed') {
            // Only a processor that returned before its worker received the abort completes (the abort
            // raced the completion; one hop takes a moment): it was never signalled. Comparing clock times
            // across the two processes instead flaked whenever the worker was slower to wake than abortJob.
            expect(
              remote.has('signal', jobId, q.name),
              `job ${jobId} completed although its processor was signalled`,
            ).toBe(false);
            expect(remote.has('done', jobId, q.name)).toBe(true);
          } else {
            expect(settled.failedReason).toMatch(/^aborted/);
          }
        }
      }
      // The timings reach both sides of the pick-up.
      expect(results.some(([, result]) => result === 'removed')).toBe(true);
      expect(results.some(([, result]) => result === 'signalled')).toBe(true);
    });

    it("leaves an active job alone in mode 'cancel' ('ignored'), and stops it in mode 'abort'", async () => {
      const q = queue();
      await remote.start(q.name, { jobMs: 400 });
      const job = await q.add('long', {});
      await remote.next('started', job.id, q.name);
      expect(await abortJob(q, job.id!, { abortable, mode: 'cancel' })).toBe('ignored');
      await remote.next('completed', job.id, q.name);
      expect(await abortJob(q, job.id!, { abortable })).toBe('finished');
    });

    it('never runs a job whose mark cannot be read: it goes back to the delayed set', async () => {
      const q = queue();
      // An abort backend on a port nobody listens on (BullMQ's own Redis is fine).
      const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => 1000 });
      client.on('error', () => {});
      const unreachable = new Abortable({ backend: new RedisBackend({ client, commandTimeout: 50 }) });
      closers.push(async () => {
        await unreachable.close();
        client.disconnect();
      });
      let ran = false;
      worker(
        q.name,
        abortableProcessor(
          () => {
            ran = true;
          },
          {
            abortable: unreachable,
            abortCheckAttempts: 2,
            abortCheckBackoff: 10,
            abortCheckRetryDelay: 60_000,
          },
        ),
        { connection },
      );
      const job = await q.add('j', {}, { attempts: 1 });
      await waitFor('the job to be delayed', async () =>
        (await q.getJobState(job.id!)) === 'delayed' ? true : undefined,
      );
      expect(ran).toBe(false);
      expect((await q.getJob(job.id!))?.attemptsMade).toBe(0);
    });

    it('does not retry an aborted job (attempts: 5)', async () => {
      const q = queue();
      let starts = 0;
      worker(
        q.name,
        abortableProcessor(
          (_job, _token, signal) => {
            starts++;
            return new Promise((_resolve, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason)),
            );
          },
          { abortable },
        ),
        { connection },
      );
      const job = await q.add('j', {}, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
      await waitFor('start', () => starts === 1 || undefined);
      expect(await abortJob(q, job.id!, { abortable })).toBe('signalled');
      const failed = await failure(q, job.id!);
      await sleep(200);
      expect(await failed.getState()).toBe('failed');
      expect(failed.attemptsMade).toBe(1);
      expect(starts).toBe(1);
    });

    it('skips a stalled job of a SIGKILLed worker when the next worker takes it', async () => {
      const q = queue();
      await doomed.start(q.name, { lockDuration: 1000, stalledInterval: 500 });
      const job = await q.add('long', {});
      await doomed.next('started', job.id, q.name);
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      expect(await abortJob(q, job.id!, { abortable })).toBe('signalled'); // still active: its lock holds
      let started = false;
      worker(
        q.name,
        abortableProcessor(
          () => {
            started = true;
            return 'ran';
          },
          { abortable },
        ),
        {
          connection,
          lockDuration: 1000,
          stalledInterval: 300,
        },
      );
      const failed = await failure(q, job.id!);
      expect(failed.failedReason).toMatch(/^aborted before it started/);
      expect(started).toBe(false);
    });

    it.runIf(sandboxCancel)('stops a sandboxed processor through attachAborts', async () => {
      const q = queue();
      const w = worker(q.name, sandboxFile, { connection });
      const detach = attachAborts(w, { abortable });
      const active = new Promise<Job>((resolve) => w.once('active', resolve));
      const job = await q.add('s', {});
      await active;
      await sleep(100); // let the child start the job
      expect(await abortJob(q, job.id!, { abortable, reason: 'enough' })).toBe('signalled');
      const failed = await failure(q, job.id!);
      expect(failed.failedReason).toBe('cancelled: aborted: enough');
      // Confirmed: abortAndWait resolves with the 'stopped' that attachAborts reports.
      const second = await q.add('s', {});
      await watched(q, second.id!, 1);
      await sleep(100);
      const outcome = await abortable.abortAndWait(jobAbortId(q, second.id!), { reason: 'again' });
      expect(outcome?.outcome).toBe('stopped');
      expect((await failure(q, second.id!)).failedReason).toBe('cancelled: aborted: again');
      detach();
      expect(Object.hasOwn(w, 'processJob')).toBe(false);
    });

    it.runIf(!sandboxCancel)(
      'refuses a sandboxed worker on a BullMQ that cannot cancel one, saying so',
      () => {
        const w = worker(`q${randomUUID().slice(0, 8)}`, sandboxFile, { connection, autorun: false });
        expect(() => attachAborts(w, { abortable })).toThrow(/upgrade bullmq to 6\.0/);
      },
    );

    it('attachAborts cancels a plain processor, releases its watches, and detaches', async () => {
      const q = queue();
      const w = worker(q.name, cancellable, { connection, concurrency: 2 });
      const detach = attachAborts(w, { abortable });
      const first = await q.add('a', {});
      await watched(q, first.id!, 1);
      expect(await abortJob(q, first.id!, { abortable, reason: 'no' })).toBe('signalled');
      expect((await failure(q, first.id!)).failedReason).toBe('cancelled: aborted: no');
      await watched(q, first.id!, 0);

      const second = await q.add('b', {});
      await watched(q, second.id!, 1);
      detach();
      detach(); // idempotent
      await watched(q, second.id!, 0);
      expect(Object.hasOwn(w, 'processJob')).toBe(false); // BullMQ's own processJob again
      expect([w.listenerCount('active'), w.listenerCount('completed'), w.listenerCount('failed')]).toEqual([
        0, 0, 0,
      ]);
    });

    it("attachAborts confirms what it stops: abortAndWait resolves 'stopped'", async () => {
      const q = queue();
      const w = worker(q.name, cancellable, { connection });
      attachAborts(w, { abortable });
      const job = await q.add('a', {});
      await watched(q, job.id!, 1);
      const outcome = await abortable.abortAndWait(jobAbortId(q, job.id!), { reason: 'confirm' });
      expect(outcome).toMatchObject({ id: jobAbortId(q, job.id!), outcome: 'stopped' });
      expect((await failure(q, job.id!)).failedReason).toBe('cancelled: aborted: confirm');
    });

    it("attachAborts confirms a cancelled job that completed anyway as 'finished', not 'stopped'", async () => {
      const q = queue();
      let started = false;
      // Takes a signal (three parameters: BullMQ's cancelJob reaches it) but ignores it, and completes.
      const w = worker(
        q.name,
        async (_job, _token, _signal) => {
          started = true;
          await sleep(300);
          return 'done anyway';
        },
        { connection },
      );
      attachAborts(w, { abortable });
      const job = await q.add('a', {});
      await waitFor('the processor to start', () => started || undefined);
      await watched(q, job.id!, 1);
      const outcome = await abortable.abortAndWait(jobAbortId(q, job.id!));
      expect(outcome).toMatchObject({ outcome: 'finished' });
      expect(await (await q.getJob(job.id!))?.getState()).toBe('completed');
    });

    it('attachAborts releases the watch of a job that leaves active without completing or failing (DelayedError), and watches it again when it is back', async () => {
      const q = queue();
      let runs = 0;
      const w = worker(
        q.name,
        async (job, token, signal) => {
          runs++;
          if (runs === 1) {
            // Defer itself for a minute (the test promotes it): not completed, not failed.
            await job.moveToDelayed(Date.now() + 60_000, token);
            throw new bullmq.DelayedError();
          }
          return cancellable(job, token, signal);
        },
        { connection },
      );
      attachAborts(w, { abortable });
      const job = await q.add('d', {});
      await waitFor('the job to defer itself', async () =>
        (await q.getJobState(job.id!)) === 'delayed' ? true : undefined,
      );
      await watched(q, job.id!, 0);
      await (await q.getJob(job.id!))?.promote();
      await waitFor('the second run', () => runs === 2 || undefined);
      await watched(q, job.id!, 1);
      const outcome = await abortable.abortAndWait(jobAbortId(q, job.id!));
      expect(outcome?.outcome).toBe('stopped');
      expect((await failure(q, job.id!)).failedReason).toBe('cancelled: aborted');
      await watched(q, job.id!, 0);
    });

    it("reports 'skipped' for a job whose mark exists when a worker takes it: abortAndWait confirms it", async () => {
      const q = queue();
      const job = await q.add('s', {});
      const id = jobAbortId(q, job.id!);
      const confirmed = abortable.abortAndWait(id, { reason: 'not wanted' });
      await waitFor('the mark', async () => ((await abortable.aborted(id)) === null ? undefined : true));
      let ran = false;
      worker(
        q.name,
        abortableProcessor(
          () => {
            ran = true;
          },
          { abortable },
        ),
        { connection },
      );
      expect(await confirmed).toMatchObject({ id, outcome: 'skipped' });
      expect((await failure(q, job.id!)).failedReason).toMatch(/^aborted before it started/);
      expect(ran).toBe(false);
    });

    it('unsubscribes an Observable processor on abort', async () => {
      const q = queue();
      let tornDown = false;
      worker(
        q.name,
        abortableProcessor(
          () =>
            interval(10).pipe(
              map((tick) => tick),
              finalize(() => {
                tornDown = true;
              }),
            ),
          { abortable },
        ),
        { connection },
      );
      const job = await q.add('o', {});
      await waitFor('active', async () => (await job.getState()) === 'active');
      await sleep(50);
      expect(await abortJob(q, job.id!, { abortable })).toBe('signalled');
      const failed = await failure(q, job.id!);
      expect(failed.failedReason).toMatch(/^aborted while running/);
      expect(tornDown).toBe(true);
    });

    it('a graceful abort: finished in time completes the job, else it is stopped at the deadline', async () => {
      const q = queue();
      const requests: number[] = [];
      worker(
        q.name,
        abortableProcessor(
          (job, _token, signal, context) =>
            new Promise((resolve) => {
              context.abortRequested$.subscribe((request) => {
                requests.push(request.timeLeft);
                // The polite job wraps up within its time; the other one does not.
                if (job.name === 'polite') setTimeout(() => resolve('wrapped up'), 50);
              });
              signal.addEventListener('abort', () => resolve('too late'));
            }),
          { abortable },
        ),
        { connection, concurrency: 2 },
      );
      const polite = await q.add('polite', {});
      const slow = await q.add('slow', {});
      await waitFor('both active', async () =>
        (await polite.getState()) === 'active' && (await slow.getState()) === 'active' ? true : undefined,
      );
      const at = Date.now();
      await abortJob(q, polite.id!, { abortable, abortTimeout: 2000 });
      await abortJob(q, slow.id!, { abortable, abortTimeout: 300 });
      const politeDone = await failure(q, polite.id!);
      expect(await politeDone.getState()).toBe('completed');
      expect(politeDone.returnvalue).toBe('wrapped up');
      const slowDone = await failure(q, slow.id!);
      expect(await slowDone.getState()).toBe('failed');
      expect(slowDone.failedReason).toMatch(/^aborted while running/);
      expect(Date.now() - at).toBeGreaterThanOrEqual(300);
      expect(requests.sort((a, b) => a - b)).toEqual([300, 2000]);
    });

    it('does not skip a job re-added under a reused id, nor a job of another queue with the same id', async () => {
      const first = queue();
      const other = queue();
      await first.add('r', {}, { jobId: 'order-7' });
      await other.add('r', {}, { jobId: 'order-7' });
      expect(await abortJob(first, 'order-7', { abortable })).toBe('removed');
      await sleep(5);
      await first.add('r', {}, { jobId: 'order-7' }); // the mark of the removed job is still live
      const processor = abortableProcessor(async (job) => `ran ${job.queueName}`, { abortable });
      worker(first.name, processor, { connection });
      worker(other.name, processor, { connection });
      expect((await failure(first, 'order-7')).returnvalue).toBe(`ran ${first.name}`);
      expect((await failure(other, 'order-7')).returnvalue).toBe(`ran ${other.name}`);
      expect(await abortable.aborted(jobAbortId(first, 'order-7'))).not.toBeNull();
    });

    it('releases every watch afterwards', async () => {
      const channels = await waitFor(
        'no keyspace subscriptions left',
        async () => {
          const list = await server.cli('PUBSUB', 'CHANNELS', '__keyspace@0__:rx-abort:*');
          return list === '' ? list : undefined;
        },
        3000,
      );
      expect(channels).toBe('');
    });
  });
}
