import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { actor, BrokerClosedError, MemoryBroker, type Message } from '../../src/index.js';
import { sleep } from './support.js';

const receiveOptions = (overrides: Partial<Parameters<MemoryBroker['receive']>[0]> = {}) => ({
  queues: ['default'],
  max: 10,
  consumer: 'test',
  signal: new AbortController().signal,
  ...overrides,
});

let broker: MemoryBroker;
afterEach(async () => {
  await broker.close();
});

describe('MemoryBroker', () => {
  it('delivers a JSON copy of a message and holds it until acknowledged', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (value: { items: number[] }) => value, { broker });
    const payload = { items: [1, 2] };
    const sent = await echo.send(payload);
    payload.items.push(3);
    const [delivery] = await broker.receive(receiveOptions());
    expect(delivery?.message).toEqual(sent);
    expect(delivery?.message.args).toEqual([{ items: [1, 2] }]);
    expect(delivery?.message.args[0]).not.toBe(payload);
    expect(broker.stats()).toEqual({ ready: 0, delayed: 0, unacked: 1, waiting: 0 });
    await delivery?.ack();
    await delivery?.ack();
    expect(broker.stats()).toEqual({ ready: 0, delayed: 0, unacked: 0, waiting: 0 });
  });

  it('returns a nacked message to the front of its queue', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const first = await echo.send(1);
    await echo.send(2);
    const [delivery] = await broker.receive(receiveOptions({ max: 1 }));
    await delivery?.nack();
    await delivery?.nack();
    const again = await broker.receive(receiveOptions());
    expect(again.map((d) => d.message.args[0])).toEqual([1, 2]);
    expect(again[0]?.message.messageId).toBe(first.messageId);
    for (const d of again) await d.ack();
  });

  it('returns at most max messages, from the queues in order', async () => {
    broker = new MemoryBroker();
    const low = actor('low', (n: number) => n, { broker, queueName: 'low' });
    const high = actor('high', (n: number) => n, { broker, queueName: 'high' });
    await low.send(1);
    await high.send(2);
    await high.send(3);
    const batch = await broker.receive(receiveOptions({ queues: ['high', 'low'], max: 2 }));
    expect(batch.map((d) => d.message.args[0])).toEqual([2, 3]);
    const rest = await broker.receive(receiveOptions({ queues: ['high', 'low'], max: 2 }));
    expect(rest.map((d) => d.message.args[0])).toEqual([1]);
    for (const d of [...batch, ...rest]) await d.ack();
  });

  it('waits for a message, and resolves [] when the signal aborts, removing its listener', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const waiting = broker.receive(receiveOptions());
    expect(broker.stats().waiting).toBe(1);
    await echo.send(7);
    const [delivery] = await waiting;
    expect(delivery?.message.args).toEqual([7]);
    await delivery?.ack();

    const controller = new AbortController();
    const pending = broker.receive(receiveOptions({ signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(await pending).toEqual([]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(broker.stats().waiting).toBe(0);

    const served = new AbortController();
    const served$ = broker.receive(receiveOptions({ signal: served.signal }));
    await echo.send(8);
    for (const d of await served$) await d.ack();
    expect(getEventListeners(served.signal, 'abort')).toHaveLength(0);
  });

  it('gives each waiting consumer its own messages (first come, first served)', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const a = broker.receive(receiveOptions({ consumer: 'a', max: 1 }));
    const b = broker.receive(receiveOptions({ consumer: 'b', max: 1 }));
    await echo.send(1);
    await echo.send(2);
    const [[fromA], [fromB]] = await Promise.all([a, b]);
    expect(fromA?.message.args).toEqual([1]);
    expect(fromB?.message.args).toEqual([2]);
    await fromA?.ack();
    await fromB?.ack();
  });

  it('holds a delayed message until it is due', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const sent = await echo.sendWithOptions({ args: [1], delay: 80 });
    expect(sent.delay).toBe(80);
    expect(broker.stats()).toMatchObject({ ready: 0, delayed: 1 });
    const started = Date.now();
    const [delivery] = await broker.receive(receiveOptions());
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(delivery?.message.messageId).toBe(sent.messageId);
    await delivery?.ack();
  });

  it('keeps the process alive for a delayed message only while someone waits to receive it', async () => {
    // The broker's own delay timers, caught as they are made: a count of the process's timers would also
    // see unrelated ones (an earlier test's) come and go.
    const timers: NodeJS.Timeout[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = realSetTimeout(...args);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    /** Delay timers of the broker that are pending and keep the event loop alive. */
    const holding = () =>
      timers.filter((timer) => timer.hasRef() && !(timer as { _destroyed?: boolean })._destroyed).length;
    try {
      broker = new MemoryBroker();
      const echo = actor('echo', (n: number) => n, { broker });
      await echo.sendWithOptions({ args: [1], delay: 60 * 60 * 1000 });
      expect(holding(), 'no worker waits: the delay timer does not hold the process').toBe(0);
      const controller = new AbortController();
      const received = broker.receive(receiveOptions({ signal: controller.signal }));
      expect(holding(), 'a worker waits: the timer holds the process').toBe(1);
      controller.abort();
      expect(await received).toEqual([]);
      expect(holding(), 'the worker left: the timer lets go').toBe(0);
      await echo.sendWithOptions({ args: [2], delay: 30 }); // an earlier timer replaces the first
      expect(holding()).toBe(0);
      const [delivery] = await broker.receive(receiveOptions());
      expect(delivery?.message.args).toEqual([2]);
      expect(holding(), 'the next due message is an hour away and nobody waits').toBe(0);
      await delivery?.ack();
    } finally {
      spy.mockRestore();
    }
  });

  it('releases delayed messages in due order, whatever the order they were sent in', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.sendWithOptions({ args: [3], delay: 90 });
    await echo.sendWithOptions({ args: [1], delay: 10 });
    await echo.sendWithOptions({ args: [2], delay: 50 });
    const seen: unknown[] = [];
    while (seen.length < 3) {
      for (const d of await broker.receive(receiveOptions())) {
        seen.push(d.message.args[0]);
        await d.ack();
      }
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('clears its delay timer on close, so it never keeps the process alive', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    await echo.sendWithOptions({ args: [1], delay: 60 * 60 * 1000 });
    await echo.sendWithOptions({ args: [2], delay: 30 * 60 * 1000 });
    const received = broker.receive(receiveOptions()); // a waiting worker: the timer holds the process
    expect(timers()).toBe(before + 1);
    await broker.close();
    expect(await received).toEqual([]);
    expect(timers()).toBe(before);
  });

  it('join() resolves once nothing is ready, delayed or unacknowledged', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.sendWithOptions({ args: [1], delay: 20 });
    let joined = false;
    const join = broker.join('default').then(() => {
      joined = true;
    });
    const [delivery] = await broker.receive(receiveOptions());
    await sleep(5);
    expect(joined).toBe(false);
    await delivery?.ack();
    await join;
    expect(joined).toBe(true);
    await expect(broker.join()).resolves.toBeUndefined();
  });

  it('join() rejects after its timeout', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.send(1);
    await expect(broker.join(undefined, { timeout: 20 })).rejects.toThrow(/Timeout/);
    expect(() => broker.join('bad queue')).toThrow(RangeError);
  });

  it('rejects with BrokerClosedError once closed, and resolves waiting receives with []', async () => {
    broker = new MemoryBroker();
    const echo = actor('echo', (n: number) => n, { broker });
    const waiting = broker.receive(receiveOptions());
    await broker.close();
    expect(await waiting).toEqual([]);
    await expect(echo.send(1)).rejects.toBeInstanceOf(BrokerClosedError);
    await expect(broker.receive(receiveOptions())).rejects.toBeInstanceOf(BrokerClosedError);
    await expect(broker.close()).resolves.toBeUndefined();
  });

  it('validates receive options', () => {
    broker = new MemoryBroker();
    expect(() => broker.receive(receiveOptions({ queues: [] }))).toThrow(TypeError);
    expect(() => broker.receive(receiveOptions({ queues: ['a b'] }))).toThrow(/options\.queues\[0\]/);
    expect(() => broker.receive(receiveOptions({ max: 0 }))).toThrow(/options\.max/);
    expect(() => broker.receive(receiveOptions({ consumer: '' }))).toThrow(/options\.consumer/);
    expect(() => broker.receive({ ...receiveOptions(), signal: {} as AbortSignal })).toThrow(
      /options\.signal/,
    );
  });

  it('enqueues what it is given, for retries and custom producers', async () => {
    broker = new MemoryBroker();
    const message: Message = {
      messageId: 'custom-1',
      actorName: 'echo',
      queueName: 'default',
      args: [1],
      options: {},
      enqueuedAt: Date.now(),
      retries: 2,
    };
    await broker.enqueue(message);
    const [delivery] = await broker.receive(receiveOptions());
    expect(delivery?.message).toEqual(message);
    await delivery?.ack();
  });
});
