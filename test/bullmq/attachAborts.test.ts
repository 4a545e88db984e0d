import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { attachAborts } from '../../src/bullmq/index.js';
import { Abortable, MemoryBackend } from '../../src/index.js';

/** The part of a BullMQ Worker attachAborts uses (the integration suite runs it on real workers). */
class WorkerStandIn extends EventEmitter {
  readonly qualifiedName = 'bull:q';
  readonly cancelled: [string, string | undefined][] = [];
  /** The runs of each job id BullMQ holds, oldest first. */
  readonly #running = new Map<string, (() => void)[]>();
  cancelJob(jobId: string, reason?: string): boolean {
    this.cancelled.push([jobId, reason]);
    return (this.#running.get(jobId)?.length ?? 0) > 0;
  }
  /** Holds the job until finish(jobId), as BullMQ holds a job while its processor runs. */
  processJob(job: { id: string }): Promise<void> {
    return new Promise((resolve) => {
      const runs = this.#running.get(job.id) ?? [];
      runs.push(resolve);
      this.#running.set(job.id, runs);
    });
  }
  /** Ends the oldest run of the job. */
  finish(jobId: string): void {
    this.#running.get(jobId)?.shift()?.();
  }
}
const job = (id: string) => ({ id, timestamp: Date.now() - 10 }) as never;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('attachAborts', () => {
  it("cancels a running job when it is aborted, once, with the reason, and reports it 'stopped' once it failed", async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const worker = new WorkerStandIn();
    const own = worker.processJob;
    const detach = attachAborts(worker as never, { abortable });
    expect(worker.processJob).not.toBe(own);
    const running = { id: '1', timestamp: Date.now() - 10, failedReason: undefined as string | undefined };
    const run = worker.processJob(running);
    await abortable.abort('bull:q:1', { reason: 'enough' });
    await abortable.abort('bull:q:1');
    expect(worker.cancelled).toEqual([['1', 'aborted: enough']]);
    // cancelJob only signals: nothing is reported until the job has settled.
    expect(await abortable.outcome('bull:q:1')).toBeNull();
    running.failedReason = 'aborted: enough'; // as BullMQ's moveToFailed sets it
    worker.finish('1');
    await run;
    await tick();
    expect((await abortable.outcome('bull:q:1'))?.outcome).toBe('stopped');
    detach();
    expect(worker.processJob).toBe(own);
    expect(Object.hasOwn(worker, 'processJob')).toBe(false);
  });

  it("reports 'finished' for a cancelled job whose processor completed it anyway", async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const worker = new WorkerStandIn();
    attachAborts(worker as never, { abortable });
    const run = worker.processJob(job('2'));
    await abortable.abort('bull:q:2');
    expect(worker.cancelled).toEqual([['2', 'aborted']]);
    worker.finish('2'); // completed: BullMQ set no failedReason
    await run;
    await tick();
    expect((await abortable.outcome('bull:q:2'))?.outcome).toBe('finished');
  });

  it('releases the watch when the job leaves the worker, whatever way, and not before', async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const worker = new WorkerStandIn();
    attachAborts(worker as never, { abortable });
    const first = worker.processJob(job('3'));
    // Taken again (e.g. moved to delayed and promoted) before the first run's end is seen.
    void worker.processJob(job('3'));
    worker.finish('3');
    await first;
    await tick();
    await abortable.abort('bull:q:3');
    expect(worker.cancelled.map(([id]) => id)).toEqual(['3']);
    const second = worker.processJob(job('4'));
    worker.finish('4');
    await second;
    await tick();
    await abortable.abort('bull:q:4');
    expect(worker.cancelled.map(([id]) => id)).toEqual(['3']);
    expect(await abortable.outcome('bull:q:4')).toBeNull();
  });

  it('cancels the job and warns, without crashing, when the backend cannot watch and nobody listens for errors', async () => {
    const backend = new MemoryBackend();
    const abortable = new Abortable({ backend });
    await backend.close();
    const worker = new WorkerStandIn();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      attachAborts(worker as never, { abortable });
      void worker.processJob(job('2'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(worker.cancelled[0]?.[0]).toBe('2');
      expect(worker.cancelled[0]?.[1]).toMatch(/^rx-abort cannot watch this job/);
      expect(warnings.some((message) => message.startsWith('rx-abort attachAborts:'))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('validates its arguments', () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    expect(() => attachAborts({} as never, { abortable })).toThrow(/worker must be a BullMQ Worker/);
    expect(() => attachAborts(new WorkerStandIn() as never, { abortable, abortTtl: 1 } as never)).toThrow(
      /options has an unknown key "abortTtl"/,
    );
  });
});
