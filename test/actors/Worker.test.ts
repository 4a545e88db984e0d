import { getEventListeners } from 'node:events';
import { finalize, map, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Abortable,
  ActorNotFoundError,
  actor,
  type Broker,
  MemoryBackend,
  MemoryBroker,
  type Message,
  type Middleware,
  type TaskContext,
  Worker,
  type WorkerEvent,
  WorkerStoppedError,
} from '../../src/index.js';
import { type Harness, harness, probe, sleep, typesOf } from './support.js';

let h: Harness;
afterEach(() => h.teardown());

describe('Worker', () => {
  it('runs at most `concurrency` tasks at once', async () => {
    h = harness();
    let running = 0;
    let peak = 0;
    const work = actor(
      'work',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
      },
      { broker: h.broker },
    );
    const worker = h.worker({ concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => work.send()));
    await h.broker.join();
    expect(peak).toBe(3);
    expect(worker.running).toBe(0);
    expect(h.events.filter((event) => event.type === 'succeeded')).toHaveLength(12);
  });

  it('takes only what it can run, leaving the rest to other workers', async () => {
    h = harness();
    const byWorker = new Map<string, number>();
    const work = actor('work', () => sleep(40), { broker: h.broker });
    const a = h.worker({ concurrency: 1, id: 'a' });
    const b = h.worker({ concurrency: 1, id: 'b' });
    await work.send();
    await work.send();
    await h.broker.join();
    for (const event of h.events) {
      if (event.type === 'started') byWorker.set(event.workerId, (byWorker.get(event.workerId) ?? 0) + 1);
    }
    expect(byWorker.get(a.id)).toBe(1);
    expect(byWorker.get(b.id)).toBe(1);
  });

  it('does not receive while all its slots are busy', async () => {
    h = harness();
    const { record, handler } = probe(60);
    const work = actor('work', handler, { broker: h.broker });
    h.worker({ concurrency: 1 });
    await work.send();
    await record.started;
    expect(h.broker.stats().waiting).toBe(0);
    await work.send();
    expect(h.broker.stats()).toMatchObject({ ready: 1, unacked: 1 });
    await h.broker.join();
  });

  it('consumes the queues of the declared actors by default, or the queues it is given', async () => {
    h = harness();
    const fast = actor('fast', () => 'fast', { broker: h.broker, queueName: 'fast' });
    const slow = actor('slow', () => 'slow', { broker: h.broker, queueName: 'slow' });
    const all = h.worker();
    expect(all.queues).toEqual(['fast', 'slow']);
    await all.stop();
    const only = h.worker({ queues: ['slow'] });
    expect(only.queues).toEqual(['slow']);
    await fast.send();
    const slowMessage = await slow.send();
    await h.next('succeeded', slowMessage.messageId);
    expect(h.broker.stats('fast').ready).toBe(1);
    await only.stop();
    await h.broker.close();
  });

  it('reports received, started and a final event with timings', async () => {
    h = harness();
    const work = actor('work', (ms: number) => sleep(ms).then(() => ms), { broker: h.broker });
    const worker = h.worker({ id: 'worker-1' });
    const message = await work.send(30);
    const done = await h.next('succeeded', message.messageId);
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'succeeded']);
    expect(done).toMatchObject({
      workerId: 'worker-1',
      messageId: message.messageId,
      actorName: 'work',
      queueName: 'default',
      retries: 0,
      result: 30,
      abortRequested: false,
    });
    expect(done.durationMs).toBeGreaterThanOrEqual(25);
    expect(done.at).toBeGreaterThanOrEqual(message.enqueuedAt);
    expect(worker.id).toBe('worker-1');
  });

  it('acknowledges and reports a message for an unknown actor as failed', async () => {
    h = harness();
    actor('known', () => 1, { broker: h.broker });
    h.worker();
    const stray: Message = {
      messageId: 'stray-1',
      actorName: 'unknown',
      queueName: 'default',
      args: [],
      options: {},
      enqueuedAt: Date.now(),
      retries: 0,
    };
    await h.broker.enqueue(stray);
    const failed = await h.next('failed', 'stray-1');
    expect(failed.error).toBeInstanceOf(ActorNotFoundError);
    expect(failed).not.toHaveProperty('durationMs');
  });

  it('wraps each task with user middleware, first added outermost, and tears it down on abort', async () => {
    h = harness();
    const log: string[] = [];
    const tag = (name: string): Middleware => ({
      wrapTask: (task$: Observable<unknown>, context: TaskContext) => {
        log.push(`${name}:${context.message.actorName}`);
        return task$.pipe(
          map((value) => `${name}(${String(value)})`),
          finalize(() => log.push(`${name}:end`)),
        );
      },
    });
    h.broker.addMiddleware(tag('outer'));
    h.broker.addMiddleware(tag('inner'));
    const work = actor('work', () => 'x', { broker: h.broker });
    const { record, handler } = probe();
    const long = actor('long', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    expect((await h.next('succeeded', message.messageId)).result).toBe('outer(inner(x))');
    expect(log).toEqual(['inner:work', 'outer:work', 'inner:end', 'outer:end']);
    log.length = 0;
    const running = await long.send();
    await record.started;
    await h.abortable.abort(running.messageId);
    await h.next('aborted', running.messageId);
    expect(log).toEqual(['inner:long', 'outer:long', 'inner:end', 'outer:end']);
  });

  it('validates its arguments, naming them', () => {
    h = harness();
    const broker = h.broker;
    expect(() => new Worker({} as MemoryBroker)).toThrow(/broker must be a Broker/);
    expect(() => new Worker(broker, { concurrency: 0 })).toThrow(/options\.concurrency/);
    expect(() => new Worker(broker, { concurrency: 1.5 })).toThrow(RangeError);
    expect(() => new Worker(broker, { concurrency: '2' as unknown as number })).toThrow(TypeError);
    expect(() => new Worker(broker, { concurrency: 1_000_000 })).toThrow(RangeError);
    expect(() => new Worker(broker, { queues: [] })).toThrow(/options\.queues/);
    expect(() => new Worker(broker, { queues: ['ok', 'not ok'] })).toThrow(/options\.queues\[1\]/);
    expect(() => new Worker(broker, { abortCheckAttempts: 0 })).toThrow(/options\.abortCheckAttempts/);
    expect(() => new Worker(broker, { abortCheckTimeout: 0 })).toThrow(/options\.abortCheckTimeout/);
    expect(() => new Worker(broker, { id: 'has space' })).toThrow(/options\.id/);
    expect(() => new Worker(broker)).not.toThrow();
    expect(() => new Worker(broker).start()).toThrow(/no actor is declared/);
    const worker = new Worker(broker, { queues: ['default'] });
    expect(() => worker.stop({ timeout: -1 })).toThrow(/options\.timeout/);
  });
});

describe('Worker lifecycle', () => {
  it('leaves no listener on the signal it receives with, while running or once stopped', async () => {
    h = harness();
    const broker = h.broker;
    const work = actor('work', () => sleep(5), { broker });
    const signals: AbortSignal[] = [];
    const spy: Broker = {
      get middleware() {
        return broker.middleware;
      },
      get actors() {
        return broker.actors;
      },
      addMiddleware: (middleware) => broker.addMiddleware(middleware),
      getMiddleware: (type) => broker.getMiddleware(type),
      declareActor: (declared) => broker.declareActor(declared),
      getActor: (name) => broker.getActor(name),
      enqueue: (message) => broker.enqueue(message),
      receive: (options) => {
        signals.push(options.signal);
        return broker.receive(options);
      },
      join: (queueName, options) => broker.join(queueName, options),
      close: () => broker.close(),
    };
    const worker = new Worker(spy, { concurrency: 2 }).start();
    for (let round = 0; round < 20; round++) await work.send();
    await broker.join();
    const signal = signals[0] as AbortSignal;
    expect(signals.every((each) => each === signal)).toBe(true);
    // One waiting receive, plus the receive loop's own stop listener.
    expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(2);
    await worker.stop();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(broker.stats().waiting).toBe(0);
  });

  it('start() twice is harmless; stop() before start() resolves; start() after stop() throws', async () => {
    h = harness();
    actor('work', () => 1, { broker: h.broker });
    const idle = new Worker(h.broker);
    await idle.stop();
    expect(idle.state).toBe('stopped');
    expect(() => idle.start()).toThrow(WorkerStoppedError);
    const worker = h.worker();
    expect(worker.start()).toBe(worker);
    expect(worker.state).toBe('running');
    const stopping = worker.stop();
    expect(worker.state).toBe('stopping');
    expect(worker.stop()).toBe(stopping);
    await stopping;
    expect(worker.state).toBe('stopped');
    expect(h.broker.stats().waiting).toBe(0);
  });

  it('stop() lets running tasks finish within the timeout, and completes events$', async () => {
    h = harness();
    const { record, handler } = probe(50);
    const work = actor('work', handler, { broker: h.broker });
    const worker = h.worker();
    let completed = false;
    worker.events$.subscribe({ complete: () => (completed = true) });
    const message = await work.send();
    await record.started;
    await worker.stop({ timeout: 1000 });
    expect(record.completed).toBe(1);
    expect(typesOf(h.events, message.messageId).at(-1)).toBe('succeeded');
    expect(completed).toBe(true);
  });

  it('stop() stops tasks still running at the timeout and returns their messages to the queue', async () => {
    h = harness();
    const { record, handler } = probe();
    const work = actor('work', handler, { broker: h.broker });
    const worker = h.worker();
    const message = await work.send();
    await record.started;
    const started = Date.now();
    await worker.stop({ timeout: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(record.context?.signal.reason).toBeInstanceOf(WorkerStoppedError);
    expect(record.tornDown).toBe(1);
    const requeued = h.events.at(-1) as Extract<WorkerEvent, { type: 'requeued' }>;
    expect(requeued).toMatchObject({ type: 'requeued', reason: 'shutdown', messageId: message.messageId });
    expect(requeued.durationMs).toBeGreaterThanOrEqual(0);
    expect(h.broker.stats()).toMatchObject({ ready: 1, unacked: 0 });
    await h.broker.close();
  });

  it('returns messages received but not started when it stops', async () => {
    h = harness();
    let release = (): void => {};
    const slowBackend = new MemoryBackend();
    const abortable = new Abortable({ backend: slowBackend });
    const original = slowBackend.read.bind(slowBackend);
    slowBackend.read = (id) =>
      new Promise((resolve) => {
        release = () => resolve(original(id));
      });
    const broker = new MemoryBroker();
    broker.addMiddleware(abortable);
    const { record, handler } = probe(1);
    const work = actor('work', handler, { broker });
    const worker = new Worker(broker).start();
    const events: WorkerEvent[] = [];
    worker.events$.subscribe((event) => events.push(event));
    await work.send();
    await sleep(5);
    expect(events.map((event) => event.type)).toEqual(['received']);
    const stopping = worker.stop({ timeout: 1000 });
    release();
    await stopping;
    expect(events.map((event) => event.type)).toEqual(['received', 'requeued']);
    expect(record.calls).toBe(0);
    expect(broker.stats()).toMatchObject({ ready: 1, unacked: 0 });
    await broker.close();
  });

  it('a task requeued at shutdown runs again on another worker, with the same messageId', async () => {
    h = harness();
    let calls = 0;
    const work = actor(
      'work',
      (context: TaskContext) => {
        calls++;
        return calls === 1 ? probe().handler(context) : 'second run';
      },
      { broker: h.broker },
    );
    const first = h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await first.stop({ timeout: 10 });
    h.worker();
    const done = await h.next('succeeded', message.messageId);
    expect(done.result).toBe('second run');
    expect(done.retries).toBe(0);
  });

  it('reports receive failures as error events and keeps going', async () => {
    h = harness();
    actor('work', () => 1, { broker: h.broker });
    const broker = h.broker;
    let failures = 2;
    const flaky: Broker = {
      get middleware() {
        return broker.middleware;
      },
      get actors() {
        return broker.actors;
      },
      addMiddleware: (middleware) => broker.addMiddleware(middleware),
      getMiddleware: (type) => broker.getMiddleware(type),
      declareActor: (declared) => broker.declareActor(declared),
      getActor: (name) => broker.getActor(name),
      enqueue: (message) => broker.enqueue(message),
      receive: (options) =>
        failures-- > 0 ? Promise.reject(new Error('broker down')) : broker.receive(options),
      join: (queueName, options) => broker.join(queueName, options),
      close: () => broker.close(),
    };
    const worker = new Worker(flaky, { queues: ['default'] }).start();
    const events: WorkerEvent[] = [];
    worker.events$.subscribe((event) => events.push(event));
    await sleep(400);
    expect(events.filter((event) => event.type === 'error')).toHaveLength(2);
    const message = await broker.getActor('work').send();
    while (!events.some((event) => event.type === 'succeeded')) await sleep(5);
    expect(events.at(-1)).toMatchObject({ type: 'succeeded', messageId: message.messageId });
    await worker.stop();
  });
});
