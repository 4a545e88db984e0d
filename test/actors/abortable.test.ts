import { afterEach, describe, expect, it } from 'vitest';
import {
  Abort,
  AbortCheckError,
  type AbortEvent,
  type AbortRequest,
  actor,
  type EventBackend,
  isAbortable,
  type MemoryBackend,
  type TaskContext,
} from '../../src/index.js';
import { type Harness, harness, probe, sleep, typesOf } from './support.js';

let h: Harness;
afterEach(() => h.teardown());

describe('abort while running (mode abort)', () => {
  it('stops the task: the signal aborts with an Abort, the pipeline is torn down, outcome aborted', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker, maxRetries: 3 });
    h.worker();
    const message = await work.send();
    await record.started;
    const abortedAt = Date.now();
    await h.abortable.abort(message.messageId, { reason: 'user pressed stop' });
    const aborted = await h.next('aborted', message.messageId);
    expect(record.tornDown).toBe(1);
    expect(record.completed).toBe(0);
    expect(record.tornDownAt! - abortedAt).toBeLessThan(50);
    const reason = record.context?.signal.reason;
    expect(reason).toBeInstanceOf(Abort);
    expect(reason).toMatchObject({ id: message.messageId, mode: 'abort', reason: 'user pressed stop' });
    expect(aborted).toMatchObject({ started: true, graceful: false, event: { reason: 'user pressed stop' } });
    expect(aborted.durationMs).toBeGreaterThanOrEqual(0);
    // Not retried, acknowledged.
    await h.broker.join();
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'aborted']);
  });

  it('stops a promise-based handler through its signal', async () => {
    h = harness();
    let rejectedWith: unknown;
    const work = actor(
      'wait_for_abort',
      ({ signal }: TaskContext) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            rejectedWith = signal.reason;
            reject(signal.reason);
          });
        }),
      { broker: h.broker },
    );
    h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await h.abortable.abort(message.messageId);
    await h.next('aborted', message.messageId);
    expect(rejectedWith).toBeInstanceOf(Abort);
  });

  it('stops a task that aborts itself (the upstream abort_polling scenario)', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor(
      'abort_with_delay',
      (context: TaskContext) => {
        setTimeout(() => void h.abortable.abort(context.messageId), 20);
        return handler(context);
      },
      { broker: h.broker },
    );
    h.worker();
    const message = await work.send();
    await h.next('aborted', message.messageId);
    expect(record).toMatchObject({ calls: 1, completed: 0, tornDown: 1 });
  });
});

describe('cancel while running', () => {
  it('has no effect: the task completes', async () => {
    h = harness();
    const { record, handler } = probe(80);
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId, { mode: 'cancel' });
    const done = await h.next('succeeded', message.messageId);
    expect(done.abortRequested).toBe(false);
    expect(record).toMatchObject({ completed: 1, tornDown: 1 });
  });
});

describe('abort before processing', () => {
  it.each(['abort', 'cancel'] as const)(
    'in mode %s skips the message: the handler is never called',
    async (mode) => {
      h = harness();
      const { record, handler } = probe(1);
      const work = actor('do_work', handler, { broker: h.broker });
      const message = await work.send();
      await h.abortable.abort(message.messageId, { mode });
      h.worker();
      const skipped = await h.next('skipped', message.messageId);
      expect(skipped.mode).toBe(mode);
      expect(skipped.event.id).toBe(message.messageId);
      await h.broker.join();
      expect(record.calls).toBe(0);
      expect(typesOf(h.events, message.messageId)).toEqual(['received', 'skipped']);
    },
  );

  it('a delayed message aborted with a long abortTtl is skipped when it comes due', async () => {
    h = harness({ abortTtl: 50 });
    const { record, handler } = probe(1);
    const countWords = actor('count_words', (_url: string, context: TaskContext) => handler(context), {
      broker: h.broker,
    });
    h.worker();
    const kept = await countWords.sendWithOptions({ args: ['https://example.com'], delay: 150 });
    const lapsed = await countWords.sendWithOptions({ args: ['https://example.org'], delay: 150 });
    await h.abortable.abort(kept.messageId, { abortTtl: 2 * 60 * 60 * 1000 });
    await h.abortable.abort(lapsed.messageId); // the default window (50 ms here) ends before it is due
    await h.next('skipped', kept.messageId);
    await h.next('succeeded', lapsed.messageId);
    expect(record.calls).toBe(1);
  });
});

describe('actors that are not abortable', () => {
  it('ignore aborts, before and while running', async () => {
    h = harness();
    const { record, handler } = probe(60);
    const work = actor('not_abortable', handler, { broker: h.broker, abortable: false });
    const queued = await work.send();
    await h.abortable.abort(queued.messageId);
    h.worker({ concurrency: 1 });
    await h.next('succeeded', queued.messageId);
    const running = await work.send();
    await h.next('started', running.messageId);
    await h.abortable.abort(running.messageId);
    await h.next('succeeded', running.messageId);
    expect(record).toMatchObject({ calls: 2, completed: 2 });
    expect(h.backend.watchedIds).toBe(0);
  });
});

describe('which messages are abortable: message option, then actor option, then middleware default', () => {
  const values = [true, false, undefined] as const;
  const combinations = [true, false].flatMap((middleware) =>
    values.flatMap((actorOption) =>
      values.map((messageOption) => ({ middleware, actorOption, messageOption })),
    ),
  );
  const expected = (c: (typeof combinations)[number]) => c.messageOption ?? c.actorOption ?? c.middleware;

  it('has 18 combinations', () => {
    h = harness();
    expect(combinations).toHaveLength(18);
  });

  it.each(combinations)(
    'isAbortable with middleware $middleware, actor $actorOption, message $messageOption',
    (c) => {
      h = harness({ abortable: c.middleware });
      const options = c.messageOption === undefined ? {} : { abortable: c.messageOption };
      expect(isAbortable({ options }, { abortable: c.actorOption }, h.abortable)).toBe(expected(c));
    },
  );

  it.each(combinations)(
    'a worker with middleware $middleware, actor $actorOption, message $messageOption',
    async (c) => {
      h = harness({ abortable: c.middleware });
      const { record, handler } = probe(1);
      const work = actor('some_actor', handler, {
        broker: h.broker,
        ...(c.actorOption === undefined ? {} : { abortable: c.actorOption }),
      });
      const message = await work.sendWithOptions(
        c.messageOption === undefined ? {} : { abortable: c.messageOption },
      );
      await h.abortable.abort(message.messageId);
      h.worker();
      await h.broker.join();
      expect(typesOf(h.events, message.messageId).at(-1)).toBe(expected(c) ? 'skipped' : 'succeeded');
      expect(record.calls).toBe(expected(c) ? 0 : 1);
    },
  );

  it('nothing is abortable without an Abortable middleware', () => {
    h = harness();
    expect(isAbortable({ options: { abortable: true } }, { abortable: true }, undefined)).toBe(false);
  });
});

describe('graceful abort (abortTimeout > 0)', () => {
  it('tells the handler the time left; a handler that finishes in time succeeds', async () => {
    h = harness();
    const requests: AbortRequest[] = [];
    const timeLeft: (number | null)[] = [];
    const work = actor(
      'do_work',
      (context: TaskContext) =>
        new Promise<string>((resolve) => {
          timeLeft.push(context.abortRequested());
          context.abortRequested$.subscribe((request) => {
            requests.push(request);
            setTimeout(() => {
              timeLeft.push(context.abortRequested());
              resolve('cleaned up');
            }, 20);
          });
        }),
      { broker: h.broker, maxRetries: 2 },
    );
    h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await h.abortable.abort(message.messageId, { abortTimeout: 1000 });
    const done = await h.next('succeeded', message.messageId);
    expect(done).toMatchObject({ abortRequested: true, result: 'cleaned up' });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ timeLeft: 1000, event: { abortTimeout: 1000 } });
    expect(timeLeft[0]).toBeNull();
    expect(timeLeft[1]).toBeGreaterThan(0);
    expect(timeLeft[1]).toBeLessThan(1000);
  });

  it('replays the request to a late subscriber', async () => {
    h = harness();
    let late: AbortRequest | undefined;
    const work = actor(
      'late',
      (context: TaskContext) =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            context.abortRequested$.subscribe((request) => {
              late = request;
              resolve();
            });
          }, 50);
        }),
      { broker: h.broker },
    );
    h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await h.abortable.abort(message.messageId, { abortTimeout: 5000 });
    await h.next('succeeded', message.messageId);
    expect(late?.timeLeft).toBe(5000);
  });

  it('stops a handler that does not finish at the deadline', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    const abortedAt = Date.now();
    await h.abortable.abort(message.messageId, { abortTimeout: 100 });
    const aborted = await h.next('aborted', message.messageId);
    const waited = record.tornDownAt! - abortedAt;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(400);
    expect(aborted).toMatchObject({ graceful: true, started: true });
    expect(record.context?.signal.reason).toBeInstanceOf(Abort);
  });

  it('a task that fails after an abort was requested is not retried', async () => {
    h = harness();
    const work = actor(
      'fails_on_request',
      (context: TaskContext) =>
        new Promise((_resolve, reject) => {
          context.abortRequested$.subscribe(() => reject(new Error('gave up')));
        }),
      { broker: h.broker, maxRetries: 5, minBackoff: 0 },
    );
    h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await h.abortable.abort(message.messageId, { abortTimeout: 1000 });
    await h.next('failed', message.messageId);
    await h.broker.join();
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'failed']);
  });
});

describe('the check-then-watch gap', () => {
  /** A backend whose pre-start read resolves "not aborted" and lets the test abort right after. */
  const gapBackend = (inner: MemoryBackend, afterRead: (id: string) => void): EventBackend => ({
    mark: (events, ttl) => inner.mark(events, ttl),
    read: async (id) => {
      const mark = await inner.read(id);
      afterRead(id);
      return mark;
    },
    watch: (id) => inner.watch(id),
    close: () => inner.close(),
  });

  it('an abort issued right after the check resolves still stops the task', async () => {
    h = harness();
    const { record, handler } = probe();
    const backend = gapBackend(h.backend, (id) => {
      void h.backend.mark([{ id, mode: 'abort', abortTimeout: 0, at: Date.now() }], 60_000);
    });
    const { Abortable, MemoryBroker } = await import('../../src/index.js');
    const broker = new MemoryBroker();
    broker.addMiddleware(new Abortable({ backend }));
    const work = actor('do_work', handler, { broker });
    const { Worker } = await import('../../src/index.js');
    const worker = new Worker(broker).start();
    const outcomes: string[] = [];
    worker.events$.subscribe((event) => outcomes.push(event.type));
    await work.send();
    await broker.join();
    await worker.stop();
    await broker.close();
    expect(outcomes).toEqual(['received', 'aborted']);
    expect(record.calls).toBe(0);
    expect(h.backend.watchedIds).toBe(0);
  });

  it('an abort issued while the handler is being started still stops it', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor(
      'do_work',
      (context: TaskContext) => {
        // Lands after the watch is established, during the handler call.
        void h.abortable.abort(context.messageId);
        return handler(context);
      },
      { broker: h.broker },
    );
    h.worker();
    const message = await work.send();
    const aborted = await h.next('aborted', message.messageId);
    expect(aborted.started).toBe(true);
    expect(record).toMatchObject({ calls: 1, completed: 0, tornDown: 1 });
  });

  it('many tasks aborted at random moments around their start: every one lands', async () => {
    h = harness();
    const work = actor('short', (ms: number, context: TaskContext) => probe(ms).handler(context), {
      broker: h.broker,
    });
    h.worker({ concurrency: 20 });
    const messages = await Promise.all(Array.from({ length: 100 }, () => work.send(10_000)));
    await Promise.all(
      messages.map(async (message, index) => {
        await sleep(index % 7);
        await h.abortable.abort(message.messageId);
      }),
    );
    await h.broker.join(undefined, { timeout: 5000 });
    const finals = messages.map((message) => typesOf(h.events, message.messageId).at(-1));
    expect(finals.every((type) => type === 'aborted' || type === 'skipped')).toBe(true);
  });
});

describe('retries', () => {
  it('retries a failed task with the same messageId, then fails for good', async () => {
    h = harness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      () => {
        calls++;
        throw new Error(`attempt ${calls}`);
      },
      { broker: h.broker, maxRetries: 2, minBackoff: 10, maxBackoff: 15 },
    );
    h.worker();
    const message = await flaky.send();
    const failed = await h.next('failed', message.messageId);
    expect(calls).toBe(3);
    expect((failed.error as Error).message).toBe('attempt 3');
    expect(failed.retries).toBe(2);
    const retried = h.events.filter((event) => event.type === 'retried');
    expect(retried.map((event) => (event.type === 'retried' ? event.delay : 0))).toEqual([10, 15]);
    expect(typesOf(h.events, message.messageId)).toEqual([
      'received',
      'started',
      'retried',
      'received',
      'started',
      'retried',
      'received',
      'started',
      'failed',
    ]);
  });

  it('the message option maxRetries overrides the actor', async () => {
    h = harness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      () => {
        calls++;
        throw new Error('no');
      },
      { broker: h.broker, maxRetries: 5, minBackoff: 0 },
    );
    h.worker();
    const message = await flaky.sendWithOptions({ maxRetries: 1 });
    await h.next('failed', message.messageId);
    expect(calls).toBe(2);
  });

  it('an aborted task is never retried', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker, maxRetries: 3, minBackoff: 0 });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId);
    await h.next('aborted', message.messageId);
    await h.broker.join();
    await sleep(20);
    expect(record.calls).toBe(1);
    expect(h.events.filter((event) => event.type === 'retried')).toHaveLength(0);
  });

  it('a handler that errors with an Abort counts as aborted, not failed', async () => {
    h = harness();
    const work = actor(
      'throws_abort',
      (context: TaskContext) => {
        throw new Abort({ id: context.messageId, mode: 'abort', abortTimeout: 0, at: Date.now() });
      },
      { broker: h.broker, maxRetries: 3 },
    );
    h.worker();
    const message = await work.send();
    await h.next('aborted', message.messageId);
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'aborted']);
  });

  it('a cancel issued while an attempt was running does not skip its retry', async () => {
    h = harness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      (context: TaskContext) =>
        new Promise((resolve, reject) => {
          calls++;
          if (calls === 1) {
            // The cancel lands while this attempt runs (it has no effect on it), then the attempt fails.
            void h.abortable
              .abort(context.messageId, { mode: 'cancel' })
              .then(() => setTimeout(() => reject(new Error('boom')), 5));
          } else resolve('second attempt ran');
        }),
      { broker: h.broker, maxRetries: 1, minBackoff: 10 },
    );
    h.worker();
    const message = await flaky.send();
    const done = await h.next('succeeded', message.messageId);
    expect(done.result).toBe('second attempt ran');
    expect(done.retries).toBe(1);
  });

  it('a cancel issued after the retry was enqueued skips it', async () => {
    h = harness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      () => {
        calls++;
        throw new Error('boom');
      },
      { broker: h.broker, maxRetries: 1, minBackoff: 100 },
    );
    h.worker();
    const message = await flaky.send();
    await h.next('retried', message.messageId);
    await sleep(5);
    await h.abortable.abort(message.messageId, { mode: 'cancel' });
    const skipped = await h.next('skipped', message.messageId);
    expect(skipped).toMatchObject({ mode: 'cancel', retries: 1 });
    expect(calls).toBe(1);
  });

  it('an abort (mode abort) issued while an attempt was failing also skips the retry', async () => {
    h = harness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      (_context: TaskContext) => {
        calls++;
        return Promise.reject(new Error('boom'));
      },
      { broker: h.broker, maxRetries: 1, minBackoff: 50 },
    );
    h.worker();
    const message = await flaky.send();
    await h.next('retried', message.messageId);
    await h.abortable.abort(message.messageId);
    await h.next('skipped', message.messageId);
    expect(calls).toBe(1);
  });
});

describe('harmless aborts', () => {
  it('a second abort of the same id stops the task once', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId);
    await h.abortable.abort(message.messageId, { reason: 'again' });
    await h.next('aborted', message.messageId);
    await h.broker.join();
    expect(h.events.filter((event) => event.type === 'aborted')).toHaveLength(1);
    expect(record.tornDown).toBe(1);
  });

  it('an abort of an id that never existed, and of a finished task, change nothing', async () => {
    h = harness();
    const { record, handler } = probe(1);
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    await h.abortable.abort('never-existed');
    const message = await work.send();
    await h.next('succeeded', message.messageId);
    await h.abortable.abort(message.messageId);
    await h.abortable.abort(message.messageId, { mode: 'cancel' });
    const other = await work.send();
    await h.next('succeeded', other.messageId);
    expect(record.calls).toBe(2);
    expect(h.events.map((event) => event.type)).toEqual([
      'received',
      'started',
      'succeeded',
      'received',
      'started',
      'succeeded',
    ]);
  });
});

describe('when the abort check fails (Redis down at pre-start)', () => {
  const flakyBackend = (inner: MemoryBackend, failures: { count: number }): EventBackend => ({
    mark: (events, ttl) => inner.mark(events, ttl),
    read: (id) => (failures.count-- > 0 ? Promise.reject(new Error('ECONNREFUSED')) : inner.read(id)),
    watch: (id) => inner.watch(id),
    close: () => inner.close(),
  });

  const setup = async (failures: { count: number }) => {
    h = harness();
    const { Abortable, MemoryBroker, Worker } = await import('../../src/index.js');
    const broker = new MemoryBroker();
    const abortable = new Abortable({ backend: flakyBackend(h.backend, failures) });
    broker.addMiddleware(abortable);
    const { record, handler } = probe(1);
    const work = actor('do_work', handler, { broker });
    const events: { type: string; error?: unknown; reason?: string }[] = [];
    const worker = new Worker(broker, { abortCheckAttempts: 3, abortCheckBackoff: 5 });
    worker.events$.subscribe((event) => events.push(event));
    return { broker, abortable, record, work, worker, events };
  };

  it('retries the check with backoff, then runs the task', async () => {
    const { broker, record, work, worker, events } = await setup({ count: 2 });
    worker.start();
    await work.send();
    await broker.join();
    await worker.stop();
    await broker.close();
    expect(events.map((event) => event.type)).toEqual(['received', 'started', 'succeeded']);
    expect(record.calls).toBe(1);
  });

  it('never runs the task unchecked: it returns it to the queue, and a later abort still lands', async () => {
    const failures = { count: Number.POSITIVE_INFINITY };
    const { broker, abortable, record, work, worker, events } = await setup(failures);
    worker.start();
    const message = await work.send();
    while (!events.some((event) => event.type === 'requeued')) await sleep(5);
    await worker.stop();
    const requeued = events.find((event) => event.type === 'requeued');
    expect(requeued?.reason).toBe('abort-check-failed');
    expect(requeued?.error).toBeInstanceOf(AbortCheckError);
    expect((requeued?.error as AbortCheckError | undefined)?.cause).toMatchObject({
      message: 'ECONNREFUSED',
    });
    expect(record.calls).toBe(0);
    expect(broker.stats()).toMatchObject({ ready: 1, unacked: 0 });
    // Redis is back; the user aborts; a new worker skips it.
    failures.count = 0;
    await abortable.abort(message.messageId);
    const { Worker } = await import('../../src/index.js');
    const next = new Worker(broker).start();
    const skipped = new Promise((resolve) =>
      next.events$.subscribe((event) => event.type === 'skipped' && resolve(event)),
    );
    await skipped;
    await next.stop();
    await broker.close();
    expect(record.calls).toBe(0);
  });
});

describe('when the watch fails while the task runs', () => {
  it('the task is stopped and reported as failed, not left running unwatched', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker, maxRetries: 0 });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.backend.close();
    const failed = await h.next('failed', message.messageId);
    expect(failed.error).toMatchObject({ name: 'BackendClosedError' });
    expect(record).toMatchObject({ completed: 0, tornDown: 1 });
  });
});

describe('abort events reach the handler', () => {
  it('the Abort carries the event', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId, { reason: 'why' });
    await h.next('aborted', message.messageId);
    const event: AbortEvent | undefined = (record.context?.signal.reason as Abort | undefined)?.event;
    expect(event).toMatchObject({ id: message.messageId, mode: 'abort', reason: 'why', abortTimeout: 0 });
  });
});
