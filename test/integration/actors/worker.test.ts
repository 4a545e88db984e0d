import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Abort,
  Abortable,
  AbortCheckError,
  actor,
  RedisBackend,
  type RedisBackendOptions,
  RedisBroker,
  type TaskContext,
  Worker,
  type WorkerEvent,
} from '../../../src/index.js';
import { type Harness, harness, probe, sleep, typesOf } from '../../actors/support.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

type RedisHarness = Harness<RedisBroker, RedisBackend>;

describe('workers on RedisBroker + RedisBackend (real redis-server)', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  let h: RedisHarness | undefined;

  const redisHarness = (
    options: { abortable?: boolean; abortTtl?: number } = {},
    backendOptions: Partial<RedisBackendOptions> = {},
  ): RedisHarness => {
    const prefix = `t:${randomUUID()}:`;
    const broker = new RedisBroker({ client: server.client(), prefix: `${prefix}broker:`, blockTime: 100 });
    const backend = new RedisBackend({
      client: server.client(),
      prefix: `${prefix}abort:`,
      ...backendOptions,
    });
    h = harness(options, { broker, backend, close: () => backend.close() });
    return h;
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterEach(async () => {
    await h?.teardown();
    h = undefined;
    // No keyspace channel of ours is left subscribed.
    const channels = (await admin.pubsub('CHANNELS', '__keyspace@0__:t:*')) as string[];
    expect(channels).toEqual([]);
  });
  afterAll(() => server.stop());

  it('abort while running: the handler is stopped and its pipeline torn down', async () => {
    const h = redisHarness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker, maxRetries: 3 });
    h.worker();
    const message = await work.send();
    await record.started;
    await sleep(50); // let the watch be established (it would land anyway: the watch re-reads the mark)
    const abortedAt = performance.now();
    await h.abortable.abort(message.messageId, { reason: 'stop' });
    const aborted = await h.next('aborted', message.messageId);
    expect(aborted).toMatchObject({ started: true, event: { reason: 'stop' } });
    expect(record.context?.signal.reason).toBeInstanceOf(Abort);
    expect(record).toMatchObject({ completed: 0, tornDown: 1 });
    expect(performance.timeOrigin + performance.now() - (performance.timeOrigin + abortedAt)).toBeLessThan(
      1000,
    );
    await h.broker.join(undefined, { timeout: 2000 });
    expect(typesOf(h.events, message.messageId)).toEqual(['received', 'started', 'aborted']);
  });

  it('cancel while running has no effect', async () => {
    const h = redisHarness();
    const { record, handler } = probe(150);
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await h.abortable.abort(message.messageId, { mode: 'cancel' });
    await h.next('succeeded', message.messageId);
    expect(record.completed).toBe(1);
  });

  it.each(['abort', 'cancel'] as const)(
    'abort before processing in mode %s: the handler is never called',
    async (mode) => {
      const h = redisHarness();
      const { record, handler } = probe(1);
      const work = actor('do_work', handler, { broker: h.broker });
      const message = await work.send();
      await h.abortable.abort(message.messageId, { mode });
      h.worker();
      const skipped = await h.next('skipped', message.messageId);
      expect(skipped.mode).toBe(mode);
      expect(record.calls).toBe(0);
      await h.broker.join(undefined, { timeout: 2000 });
    },
  );

  it('actors that are not abortable ignore aborts', async () => {
    const h = redisHarness();
    const { record, handler } = probe(100);
    const work = actor('not_abortable', handler, { broker: h.broker, abortable: false });
    const queued = await work.send();
    await h.abortable.abort(queued.messageId);
    h.worker({ concurrency: 1 });
    await h.next('succeeded', queued.messageId);
    const running = await work.send();
    await h.next('started', running.messageId);
    await h.abortable.abort(running.messageId);
    await h.next('succeeded', running.messageId);
    expect(record.completed).toBe(2);
  });

  it('the 18 abortable combinations decide what is skipped', async () => {
    const values = [true, false, undefined] as const;
    for (const middleware of [true, false]) {
      const h = redisHarness({ abortable: middleware });
      const { handler } = probe(1);
      const actors = values.map((actorOption, index) =>
        actor(`some_actor_${index}`, handler, {
          broker: h.broker,
          ...(actorOption === undefined ? {} : { abortable: actorOption }),
        }),
      );
      const cases: { messageId: string; expected: boolean }[] = [];
      for (const [index, actorOption] of values.entries()) {
        for (const messageOption of values) {
          const message = await actors[index]!.sendWithOptions(
            messageOption === undefined ? {} : { abortable: messageOption },
          );
          await h.abortable.abort(message.messageId);
          cases.push({ messageId: message.messageId, expected: messageOption ?? actorOption ?? middleware });
        }
      }
      h.worker({ concurrency: 9 });
      for (const c of cases) await h.next(c.expected ? 'skipped' : 'succeeded', c.messageId);
      expect(cases).toHaveLength(9);
      await h.teardown();
    }
    h = undefined;
  });

  it('graceful abort: the handler is told the time left and finishes cleanly', async () => {
    const h = redisHarness();
    let timeLeft: number | null = null;
    const work = actor(
      'do_work',
      (context: TaskContext) =>
        new Promise<string>((resolve) => {
          context.abortRequested$.subscribe(() => {
            timeLeft = context.abortRequested();
            resolve('cleaned up');
          });
        }),
      { broker: h.broker },
    );
    h.worker();
    const message = await work.send();
    await h.next('started', message.messageId);
    await sleep(50);
    await h.abortable.abort(message.messageId, { abortTimeout: 1000 });
    const done = await h.next('succeeded', message.messageId);
    expect(done).toMatchObject({ abortRequested: true, result: 'cleaned up' });
    expect(timeLeft).toBeGreaterThan(0);
    expect(timeLeft).toBeLessThanOrEqual(1000);
  });

  it('graceful abort: a handler still running at the deadline is stopped', async () => {
    const h = redisHarness();
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    await record.started;
    await sleep(50);
    const abortedAt = Date.now();
    await h.abortable.abort(message.messageId, { abortTimeout: 200 });
    const aborted = await h.next('aborted', message.messageId);
    expect(aborted.graceful).toBe(true);
    expect(record.tornDownAt! - abortedAt).toBeGreaterThanOrEqual(190);
  });

  it('a delayed message aborted with a long abortTtl is skipped when it comes due', async () => {
    const h = redisHarness({ abortTtl: 100 });
    const { record, handler } = probe(1);
    const countWords = actor('count_words', (_url: string, context: TaskContext) => handler(context), {
      broker: h.broker,
    });
    h.worker();
    const kept = await countWords.sendWithOptions({ args: ['https://example.com'], delay: 400 });
    const lapsed = await countWords.sendWithOptions({ args: ['https://example.org'], delay: 400 });
    await h.abortable.abort(kept.messageId, { abortTtl: 2 * 60 * 60 * 1000 });
    await h.abortable.abort(lapsed.messageId);
    await h.next('skipped', kept.messageId);
    await h.next('succeeded', lapsed.messageId);
    expect(record.calls).toBe(1);
  });

  it('the check-then-watch gap: an abort right after the check resolves still stops the task', async () => {
    const h = redisHarness();
    const read = h.backend.read.bind(h.backend);
    h.backend.read = async (id) => {
      const mark = await read(id);
      await h.abortable.abort(id); // lands before the watch is subscribed
      return mark;
    };
    const { record, handler } = probe();
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    const message = await work.send();
    const aborted = await h.next('aborted', message.messageId);
    expect(record.completed).toBe(0);
    expect(record.calls).toBe(aborted.started ? 1 : 0);
    expect(record.tornDown).toBe(record.calls);
  });

  it('aborts timed around task start all land (stress)', async () => {
    const h = redisHarness();
    const work = actor('short', (context: TaskContext) => probe(10_000).handler(context), {
      broker: h.broker,
    });
    h.worker({ concurrency: 25 });
    const messages = await Promise.all(Array.from({ length: 100 }, () => work.send()));
    await Promise.all(
      messages.map(async (message, index) => {
        await sleep(index % 20);
        await h.abortable.abort(message.messageId);
      }),
    );
    for (const message of messages) {
      const final = await Promise.race([
        h.next('aborted', message.messageId),
        h.next('skipped', message.messageId),
      ]);
      expect(['aborted', 'skipped']).toContain(final.type);
    }
  });

  it('a cancel issued while an attempt ran does not skip its retry; one issued after the retry was enqueued does', async () => {
    const h = redisHarness();
    let calls = 0;
    const flaky = actor(
      'flaky',
      (cancelAfterFailure: boolean, context: TaskContext) =>
        new Promise((resolve, reject) => {
          calls++;
          if (context.message.retries > 0) resolve('retry ran');
          else if (cancelAfterFailure) reject(new Error('boom'));
          else
            void h.abortable
              .abort(context.messageId, { mode: 'cancel' })
              .then(() => reject(new Error('boom')));
        }),
      { broker: h.broker, maxRetries: 1, minBackoff: 300 },
    );
    h.worker();
    const during = await flaky.send(false);
    const done = await h.next('succeeded', during.messageId);
    expect(done).toMatchObject({ result: 'retry ran', retries: 1 });
    const after = await flaky.send(true);
    await h.next('retried', after.messageId);
    // Marks and messages carry millisecond times, and a cancel stamped in the very millisecond the retry
    // was enqueued counts as issued during the attempt (at <= enqueuedAt): be in a later one.
    await sleep(5);
    await h.abortable.abort(after.messageId, { mode: 'cancel' });
    await h.next('skipped', after.messageId);
    expect(calls).toBe(3);
  });

  it('a second abort, an abort of an unknown id and of a finished task are harmless', async () => {
    const h = redisHarness();
    const { record, handler } = probe(1);
    const work = actor('do_work', handler, { broker: h.broker });
    h.worker();
    await h.abortable.abort('never-existed');
    const message = await work.send();
    await h.next('succeeded', message.messageId);
    await h.abortable.abort(message.messageId);
    await h.abortable.abort(message.messageId);
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

  it('worker stop returns a running task to the stream; another worker runs it', async () => {
    const h = redisHarness();
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
    await first.stop({ timeout: 20 });
    expect(await h.broker.stats('default')).toMatchObject({ length: 1, pending: 0 });
    h.worker();
    expect((await h.next('succeeded', message.messageId)).result).toBe('second run');
  });
});

describe('Redis down when a worker is about to start a message', () => {
  it('the worker does not run it unchecked: it returns it to the queue, and an abort made once Redis is back lands', async () => {
    const brokerServer = await startRedisServer();
    const abortServer = await startRedisServer();
    const broker = new RedisBroker({ client: brokerServer.client(), blockTime: 100 });
    const backend = new RedisBackend({
      client: abortServer.client({ maxRetriesPerRequest: 1 }),
      commandTimeout: 200,
    });
    const abortable = new Abortable({ backend });
    broker.addMiddleware(abortable);
    const { record, handler } = probe(1);
    const work = actor('do_work', handler, { broker });
    const events: WorkerEvent[] = [];
    try {
      await abortServer.kill();
      const worker = new Worker(broker, {
        abortCheckAttempts: 2,
        abortCheckBackoff: 50,
        abortCheckTimeout: 500,
      }).start();
      worker.events$.subscribe((event) => events.push(event));
      const message = await work.send();
      while (!events.some((event) => event.type === 'requeued')) await sleep(20);
      await worker.stop();
      const requeued = events.find((event) => event.type === 'requeued');
      expect(requeued).toMatchObject({ reason: 'abort-check-failed' });
      expect(requeued && 'error' in requeued ? requeued.error : undefined).toBeInstanceOf(AbortCheckError);
      expect(record.calls).toBe(0);
      expect(await broker.stats('default')).toMatchObject({ length: 1, pending: 0 });
      // Redis is back; the user aborts (the client reconnects with backoff: retry until it takes it).
      await abortServer.restart();
      for (;;) {
        try {
          await abortable.abort(message.messageId);
          break;
        } catch {
          await sleep(50);
        }
      }
      const next = new Worker(broker).start();
      const skipped = new Promise((resolve) =>
        next.events$.subscribe((event) => event.type === 'skipped' && resolve(event)),
      );
      await skipped;
      await next.stop();
      expect(record.calls).toBe(0);
      expect(await broker.stats('default')).toMatchObject({ length: 0, pending: 0 });
    } finally {
      await broker.close();
      await backend.close();
      await brokerServer.stop();
      await abortServer.stop();
    }
  });
});
