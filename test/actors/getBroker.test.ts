import { describe, expect, it } from 'vitest';
import {
  Abortable,
  abort,
  abort$,
  aborted,
  actor,
  getBroker,
  MemoryBackend,
  MemoryBroker,
  NoAbortableError,
  setBroker,
  Worker,
} from '../../src/index.js';

// One file, in order: module state (the default broker) is what is tested.
describe('the default broker', () => {
  it('before getBroker() or setBroker() ran, the top-level abort() has no Abortable', () => {
    expect(() => abort('job-1')).toThrow(NoAbortableError);
  });

  it('getBroker() creates the embedded default once: a MemoryBroker with an Abortable on a MemoryBackend', () => {
    const broker = getBroker();
    expect(broker).toBeInstanceOf(MemoryBroker);
    expect(getBroker()).toBe(broker);
    const abortable = broker.getMiddleware(Abortable);
    expect(abortable?.backend).toBeInstanceOf(MemoryBackend);
  });

  it('actor() declares on it, and the top-level abort() uses its Abortable, end to end', async () => {
    const broker = getBroker();
    const ping = actor('ping', (n: number) => n);
    expect(broker.getActor('ping')).toBe(ping);
    const message = await ping.send(1);
    await abort(message.messageId);
    expect((await aborted(message.messageId))?.mode).toBe('abort');
    const worker = new Worker(broker).start();
    const types: string[] = [];
    worker.events$.subscribe((event) => types.push(event.type));
    await broker.join();
    await worker.stop();
    expect(types).toEqual(['received', 'skipped']);
  });

  it('setBroker() switches the default broker and the default Abortable', async () => {
    const broker = new MemoryBroker();
    const abortable = new Abortable({ backend: new MemoryBackend() });
    setBroker(broker);
    expect(getBroker()).toBe(broker);
    expect(() => abort('x')).toThrow(NoAbortableError);
    broker.addMiddleware(abortable);
    const seen: string[] = [];
    abort$('job-2').subscribe((event) => seen.push(event.id));
    await abort('job-2');
    expect(seen).toEqual(['job-2']);
    expect(await abortable.aborted('job-2')).not.toBeNull();
    const pong = actor('pong', () => 'pong');
    expect(broker.getActor('pong')).toBe(pong);
  });

  it('setBroker() refuses what is not a broker', () => {
    expect(() => setBroker({} as MemoryBroker)).toThrow(TypeError);
    expect(() => setBroker(undefined as unknown as MemoryBroker)).toThrow(/broker must be a Broker/);
  });
});
