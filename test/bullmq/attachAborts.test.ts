import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { attachAborts } from '../../src/bullmq/index.js';
import { Abortable, MemoryBackend } from '../../src/index.js';

/** The part of a BullMQ Worker attachAborts uses (the integration suite runs it on real workers). */
class WorkerStandIn extends EventEmitter {
  readonly qualifiedName = 'bull:q';
  readonly cancelled: [string, string | undefined][] = [];
  cancelJob(jobId: string, reason?: string): boolean {
    this.cancelled.push([jobId, reason]);
    return true;
  }
}
const job = (id: string) => ({ id, timestamp: Date.now() - 10 }) as never;

describe('attachAborts', () => {
  it('cancels an active job when it is aborted, once, with the reason', async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const worker = new WorkerStandIn();
    const detach = attachAborts(worker as never, { abortable });
    worker.emit('active', job('1'), 'waiting');
    await abortable.abort('bull:q:1', { reason: 'enough' });
    await abortable.abort('bull:q:1');
    expect(worker.cancelled).toEqual([['1', 'aborted: enough']]);
    detach();
    expect(worker.listenerCount('active')).toBe(0);
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
      worker.emit('active', job('2'), 'waiting');
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
