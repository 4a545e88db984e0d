// Confirmed aborts from a Worker on the memory backend: which outcome it reports for each way a task ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Abortable,
  type AbortOutcome,
  actor,
  type EventBackend,
  MemoryBackend,
  MemoryBroker,
  OutcomeReportError,
  type TaskContext,
  type Worker,
  type WorkerEvent,
} from '../../src/index.js';
import { type Harness, harness, probe, sleep, typesOf } from './support.js';

let h: Harness<MemoryBroker, EventBackend & { readonly watchedIds: number }>;
afterEach(() => h.teardown());

const outcomeOf = (worker: Worker, id: string, outcome: AbortOutcome['outcome']): AbortOutcome => ({
  id,
  outcome,
  at: expect.any(Number) as unknown as number,
  workerId: worker.id,
});

describe('the worker reports abort outcomes', () => {
  it.each(['abort', 'cancel'] as const)(
    "'skipped' for a task skipped before it started (mode %s)",
    async (mode) => {
      h = harness();
      const { record, handler } = probe(1);
      const work = actor('do_work', handler, { broker: h.broker });
      const message = await work.send();
      const waiting = h.abortable.abortAndWait(message.messageId, { mode, timeout: 5000 });
      const worker = h.worker();
      expect(await waiting).toEqual(outcomeOf(worker, message.messageId, 'skipped'));
      await h.broker.join();
      expect(record.calls).toBe(0);
      expect(await h.abortable.outcome(message.messageId)).toEqual(
        outcomeOf(worker, message.messageId, 'skipped'),
      );
    },
  );

  it("'stopped' for a running task stopped by a hard abort", async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    const worker = h.worker();
    const message = await work.send();
    await record.started;
    const outcome = await h.abortable.abortAndWait(message.messageId, { timeout: 5000 });
    expect(outcome).toEqual(outcomeOf(worker, message.messageId, 'stopped'));
    expect(record.tornDown).toBe(1);
    await h.next('aborted', message.messageId);
  });

  it("'stopped' for a graceful abort whose deadline passed", async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    const worker = h.worker();
    const message = await work.send();
    await record.started;
    const outcome = await h.abortable.abortAndWait(message.messageId, { abortTimeout: 50 });
    expect(outcome).toEqual(outcomeOf(worker, message.messageId, 'stopped'));
    expect(await h.next('aborted', message.messageId)).toMatchObject({ graceful: true });
  });

  it("'finished' for a task that completed within a graceful abort's deadline", async () => {
    h = harness();
    const work = actor(
      'cleans_up',
      (context: TaskContext) =>
        new Promise<string>((resolve) => {
          context.abortRequested$.subscribe(() => setTimeout(() => resolve('cleaned up'), 10));
        }),
      { broker: h.broker },
    );
    const worker = h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    const outcome = await h.abortable.abortAndWait(message.messageId, { abortTimeout: 5000, timeout: 5000 });
    expect(outcome).toEqual(outcomeOf(worker, message.messageId, 'finished'));
    expect(await h.next('succeeded', message.messageId)).toMatchObject({ abortRequested: true });
  });

  it("'stopped' for a task that failed after a graceful abort was requested", async () => {
    h = harness();
    const work = actor(
      'gives_up',
      (context: TaskContext) =>
        new Promise((_resolve, reject) => {
          context.abortRequested$.subscribe(() => reject(new Error('gave up')));
        }),
      { broker: h.broker, maxRetries: 3 },
    );
    const worker = h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    const outcome = await h.abortable.abortAndWait(message.messageId, { abortTimeout: 5000, timeout: 5000 });
    expect(outcome).toEqual(outcomeOf(worker, message.messageId, 'stopped'));
  });

  it('nothing for a cancel of a running task, nor for a task that was never aborted', async () => {
    h = harness();
    const { record, handler } = probe(100);
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const [running, plain] = [await work.send(), await work.send()];
    await record.started;
    expect(await h.abortable.abortAndWait(running.messageId, { mode: 'cancel', timeout: 300 })).toBeNull();
    await h.broker.join();
    expect(typesOf(h.events, running.messageId)).toEqual(['received', 'started', 'succeeded']);
    expect(await h.abortable.outcome(running.messageId)).toBeNull();
    expect(await h.abortable.outcome(plain.messageId)).toBeNull();
  });

  it('outcome$ subscribed after the worker acted still gets the outcome', async () => {
    h = harness();
    const { handler } = probe(1);
    const work = actor('do_work', handler, { broker: h.broker });
    const message = await work.send();
    await h.abortable.abort(message.messageId);
    const worker = h.worker();
    await h.next('skipped', message.messageId);
    const outcomes: AbortOutcome[] = [];
    let completed = false;
    h.abortable.outcome$(message.messageId).subscribe({
      next: (outcome) => outcomes.push(outcome),
      complete: () => {
        completed = true;
      },
    });
    expect(outcomes).toEqual([outcomeOf(worker, message.messageId, 'skipped')]);
    expect(completed).toBe(true);
  });
});

describe('when the report fails', () => {
  /** A memory backend whose outcome writes fail. */
  const failingReports = (inner: MemoryBackend): EventBackend & { readonly watchedIds: number } => ({
    mark: (events, ttl) => inner.mark(events, ttl),
    read: (id) => inner.read(id),
    watch: (id) => inner.watch(id),
    reportOutcome: () => Promise.reject(new Error('ECONNREFUSED')),
    readOutcome: (id) => inner.readOutcome(id),
    watchOutcome: (id) => inner.watchOutcome(id),
    close: () => inner.close(),
    get watchedIds() {
      return inner.watchedIds;
    },
  });

  it('the task is settled all the same, and the failure is an error event with an OutcomeReportError', async () => {
    const inner = new MemoryBackend();
    h = harness({}, { broker: new MemoryBroker(), backend: failingReports(inner) });
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId);
    const error = await h.next('error', message.messageId);
    expect(error.error).toBeInstanceOf(OutcomeReportError);
    expect(error.error).toMatchObject({ messageId: message.messageId, outcome: 'stopped' });
    expect((error.error as Error).cause).toMatchObject({ message: 'ECONNREFUSED' });
    await h.next('aborted', message.messageId);
    await h.broker.join();
    expect(await h.abortable.outcome(message.messageId)).toBeNull();
  });
});

describe('a backend without outcomes', () => {
  it('the worker does not report, and the outcome methods throw a TypeError that says why', async () => {
    const inner = new MemoryBackend();
    const marksOnly: EventBackend & { readonly watchedIds: number } = {
      mark: (events, ttl) => inner.mark(events, ttl),
      read: (id) => inner.read(id),
      watch: (id) => inner.watch(id),
      close: () => inner.close(),
      get watchedIds() {
        return inner.watchedIds;
      },
    };
    h = harness({}, { broker: new MemoryBroker(), backend: marksOnly });
    expect(h.abortable.hasOutcomes).toBe(false);
    const { handler } = probe(1);
    const work = actor('do_work', handler, { broker: h.broker });
    const message = await work.send();
    await h.abortable.abort(message.messageId);
    const events: WorkerEvent[] = [];
    h.worker().events$.subscribe((event) => events.push(event));
    await h.next('skipped', message.messageId);
    await sleep(10);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
    expect(() => h.abortable.outcome$('x')).toThrow(/needs a backend that carries abort outcomes/);
    expect(() => h.abortable.outcome('x')).toThrow(TypeError);
    expect(() => h.abortable.abortAndWait('x')).toThrow(TypeError);
    expect(() => h.abortable.reportOutcome({ id: 'x', outcome: 'stopped' })).toThrow(TypeError);
  });
});

describe('validation', () => {
  const abortable = new Abortable({ backend: new MemoryBackend() });
  afterEach(() => {
    h = harness();
  });

  it('outcome$ and outcome validate the id', () => {
    expect(() => abortable.outcome$('')).toThrow(RangeError);
    expect(() => abortable.outcome(42 as unknown as string)).toThrow(/id must be a string/);
  });

  it('abortAndWait validates like abort(), plus timeout, before writing anything', async () => {
    expect(() => abortable.abortAndWait([])).toThrow(/id must not be an empty array/);
    expect(() => abortable.abortAndWait(['a', ''])).toThrow(/id\[1\] must not be empty/);
    expect(() => abortable.abortAndWait('a', { mode: 'stop' as 'abort' })).toThrow(/mode must be one of/);
    expect(() => abortable.abortAndWait('a', { timeout: -1 })).toThrow(
      /options.timeout must be a whole number/,
    );
    expect(() => abortable.abortAndWait('a', { timeout: '1s' as unknown as number })).toThrow(TypeError);
    expect(() => abortable.abortAndWait('a', { timout: 5 } as never)).toThrow(/unknown key "timout"/);
    expect(() => abortable.abortAndWait('a', null as never)).toThrow(/options must be an object/);
    expect(await abortable.aborted('a')).toBeNull();
  });

  it('reportOutcome validates the outcome and its options, naming the field', () => {
    const report = (outcome: unknown, options?: unknown) =>
      abortable.reportOutcome(outcome as never, options as never);
    expect(() => report(null)).toThrow(/outcome must be an object/);
    expect(() => report({ id: 'a' })).toThrow(
      /outcome.outcome must be one of 'skipped', 'stopped', 'finished'/,
    );
    expect(() => report({ id: 'a', outcome: 'done' })).toThrow(/got "done"/);
    expect(() => report({ outcome: 'stopped' })).toThrow(/outcome.id must be a string/);
    expect(() => report({ id: 'a\nb', outcome: 'stopped' })).toThrow(RangeError);
    expect(() => report({ id: 'a', outcome: 'stopped', at: Number.NaN })).toThrow(
      /outcome.at must be a finite/,
    );
    expect(() => report({ id: 'a', outcome: 'stopped', workerId: 7 })).toThrow(
      /outcome.workerId must be a string/,
    );
    expect(() => report({ id: 'a', outcome: 'stopped', workerId: '' })).toThrow(RangeError);
    expect(() => report({ id: 'a', outcome: 'stopped', worker: 'w' })).toThrow(/unknown key "worker"/);
    expect(() => report({ id: 'a', outcome: 'stopped' }, { ttl: 0 })).toThrow(/options.ttl/);
    expect(() => report({ id: 'a', outcome: 'stopped' }, { abortTtl: 5 })).toThrow(/unknown key "abortTtl"/);
  });

  it('abortAndWait subscribes the outcome watches before it writes the marks, and leaves no timer or watch', async () => {
    const inner = new MemoryBackend();
    const calls: string[] = [];
    const backend: EventBackend = {
      mark: (events, ttl) => {
        calls.push(`mark ${events.map((event) => event.id).join(',')}`);
        return inner.mark(events, ttl);
      },
      read: (id) => inner.read(id),
      watch: (id) => inner.watch(id),
      reportOutcome: (outcome, ttl) => inner.reportOutcome(outcome, ttl),
      readOutcome: (id) => inner.readOutcome(id),
      watchOutcome: (id) => {
        calls.push(`watchOutcome ${id}`);
        return inner.watchOutcome(id);
      },
      close: () => inner.close(),
    };
    const watched = new Abortable({ backend });
    vi.useFakeTimers();
    try {
      const pending = watched.abortAndWait(['a', 'b', 'a'], { timeout: 1000 });
      expect(calls).toEqual(['watchOutcome a', 'watchOutcome b', 'mark a,b']);
      expect(vi.getTimerCount()).toBe(1);
      await watched.reportOutcome({ id: 'b', outcome: 'skipped' });
      await vi.advanceTimersByTimeAsync(1000);
      expect(await pending).toEqual([null, expect.objectContaining({ id: 'b', outcome: 'skipped' }), null]);
      expect(vi.getTimerCount()).toBe(0);
      expect(inner.watchedIds).toBe(0);
      // Settled by the outcomes: the timer is cleared at once.
      const early = watched.abortAndWait('c', { timeout: 60_000 });
      await watched.reportOutcome({ id: 'c', outcome: 'stopped' });
      expect(await early).toMatchObject({ id: 'c', outcome: 'stopped' });
      expect(vi.getTimerCount()).toBe(0);
      expect(inner.watchedIds).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('abortAndWait rejects with the cause when the marks cannot be written, and releases its watches', async () => {
    const inner = new MemoryBackend();
    const failing = new Abortable({
      backend: {
        mark: () => Promise.reject(new Error('ECONNREFUSED')),
        read: (id) => inner.read(id),
        watch: (id) => inner.watch(id),
        reportOutcome: (outcome, ttl) => inner.reportOutcome(outcome, ttl),
        readOutcome: (id) => inner.readOutcome(id),
        watchOutcome: (id) => inner.watchOutcome(id),
        close: () => inner.close(),
      },
    });
    await expect(failing.abortAndWait(['a', 'b'], { timeout: 60_000 })).rejects.toThrow('ECONNREFUSED');
    expect(inner.watchedIds).toBe(0);
  });

  it('reportOutcome defaults at to now and keeps the outcome for the Abortable abortTtl, or ttl', async () => {
    let clock = 1_000_000;
    const backend = new MemoryBackend({ scheduler: { now: () => clock, schedule: () => ({}) } as never });
    const short = new Abortable({ backend, abortTtl: 100 });
    const before = Date.now();
    await short.reportOutcome({ id: 'a', outcome: 'stopped' });
    await short.reportOutcome({ id: 'b', outcome: 'skipped', at: 5 }, { ttl: 1000 });
    const a = await short.outcome('a');
    expect(a?.at).toBeGreaterThanOrEqual(before);
    expect(await short.outcome('b')).toEqual({ id: 'b', outcome: 'skipped', at: 5 });
    clock += 100;
    expect(await short.outcome('a')).toBeNull();
    expect(await short.outcome('b')).not.toBeNull();
  });
});
