import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  actor,
  BrokerClosedError,
  type Delivery,
  RedisBroker,
  type RedisBrokerOptions,
} from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisBroker on a real redis-server', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const brokers: RedisBroker[] = [];

  const make = (options: Partial<RedisBrokerOptions> = {}) => {
    const broker = new RedisBroker({ client: server.client(), prefix: `t:${randomUUID()}:`, ...options });
    brokers.push(broker);
    return broker;
  };
  const receive = (broker: RedisBroker, overrides: Partial<Parameters<RedisBroker['receive']>[0]> = {}) =>
    broker.receive({
      queues: ['default'],
      max: 10,
      consumer: 'c1',
      signal: new AbortController().signal,
      ...overrides,
    });

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterEach(async () => {
    for (const broker of brokers.splice(0)) await broker.close();
  });
  afterAll(() => server.stop());

  it('delivers a message once, and deletes the entry when it is acknowledged', async () => {
    const broker = make();
    const echo = actor('echo', (value: { n: number }) => value, { broker });
    const sent = await echo.send({ n: 1 });
    const [delivery] = await receive(broker);
    expect(delivery?.message).toEqual(sent);
    expect(await broker.stats('default')).toEqual({ length: 1, pending: 1, delayed: 0 });
    await delivery?.ack();
    await delivery?.ack();
    expect(await broker.stats('default')).toEqual({ length: 0, pending: 0, delayed: 0 });
    expect(await receive(broker, { signal: AbortSignal.timeout(50) })).toEqual([]);
  });

  it('returns a nacked message to the queue', async () => {
    const broker = make();
    const echo = actor('echo', (n: number) => n, { broker });
    const sent = await echo.send(1);
    const [first] = await receive(broker);
    await first?.nack();
    expect(await broker.stats('default')).toEqual({ length: 1, pending: 0, delayed: 0 });
    const [again] = await receive(broker, { consumer: 'c2' });
    expect(again?.message.messageId).toBe(sent.messageId);
    await again?.ack();
  });

  it('wakes a blocked receive as soon as a message arrives', async () => {
    const broker = make({ blockTime: 5000 });
    const echo = actor('echo', (n: number) => n, { broker });
    const waiting = receive(broker);
    await sleep(50);
    const sentAt = Date.now();
    await echo.send(1);
    const [delivery] = await waiting;
    expect(Date.now() - sentAt).toBeLessThan(500);
    await delivery?.ack();
  });

  it('interrupts a blocked receive at once when its signal aborts (CLIENT UNBLOCK)', async () => {
    const broker = make({ blockTime: 10_000 });
    actor('echo', (n: number) => n, { broker });
    const controller = new AbortController();
    const waiting = receive(broker, { signal: controller.signal });
    await sleep(100);
    const abortedAt = Date.now();
    controller.abort();
    expect(await waiting).toEqual([]);
    expect(Date.now() - abortedAt).toBeLessThan(200);
  });

  it('holds delayed messages in a sorted set and moves them to the stream when due, each once', async () => {
    const prefix = `t:${randomUUID()}:`;
    const a = make({ prefix, blockTime: 50 });
    const b = make({ prefix, blockTime: 50 });
    const echo = actor('echo', (n: number) => n, { broker: a });
    actor('echo', (n: number) => n, { broker: b });
    await Promise.all(
      Array.from({ length: 50 }, (_, n) => echo.sendWithOptions({ args: [n], delay: 100 + (n % 5) * 20 })),
    );
    expect(await a.stats('default')).toMatchObject({ length: 0, delayed: 50 });
    expect(await admin.zcard(a.delayedKey('default'))).toBe(50);
    const seen: number[] = [];
    const started = Date.now();
    const consume = async (broker: RedisBroker, consumer: string) => {
      while (seen.length < 50 && Date.now() - started < 5000) {
        for (const delivery of await receive(broker, { consumer, signal: AbortSignal.timeout(200) })) {
          expect(Date.now() - started).toBeGreaterThanOrEqual(90);
          seen.push(delivery.message.args[0] as number);
          await delivery.ack();
        }
      }
    };
    await Promise.all([consume(a, 'a'), consume(b, 'b')]);
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it('wakes for a delayed message when it is due, not after a whole blockTime', async () => {
    const broker = make({ blockTime: 5000 });
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.sendWithOptions({ args: [1], delay: 150 });
    const started = Date.now();
    const [delivery] = await receive(broker);
    expect(Date.now() - started).toBeLessThan(1000);
    await delivery?.ack();
  });

  it('takes over the messages of a consumer that died (XAUTOCLAIM after claimIdleTime)', async () => {
    const prefix = `t:${randomUUID()}:`;
    const dying = make({ prefix, claimIdleTime: 300 });
    const echo = actor('echo', (n: number) => n, { broker: dying });
    const sent = await echo.send(1);
    const [held] = await receive(dying, { consumer: 'dying' });
    expect(held?.message.messageId).toBe(sent.messageId);
    await dying.close(); // dies without acknowledging: the entry stays pending
    const survivor = make({ prefix, claimIdleTime: 300, blockTime: 50 });
    actor('echo', (n: number) => n, { broker: survivor });
    const started = Date.now();
    let taken: Delivery | undefined;
    while (taken === undefined) [taken] = await receive(survivor, { consumer: 'survivor' });
    expect(taken.message.messageId).toBe(sent.messageId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const pending = (await admin.xpending(survivor.streamKey('default'), 'workers', '-', '+', 10)) as [
      string,
      string,
      number,
      number,
    ][];
    expect(pending.map((entry) => entry[1])).toEqual(['survivor']);
    await taken.ack();
  });

  it('never takes a message from a live consumer: it refreshes what it holds', async () => {
    const prefix = `t:${randomUUID()}:`;
    const holder = make({ prefix, claimIdleTime: 150 });
    const other = make({ prefix, claimIdleTime: 150, blockTime: 50 });
    const echo = actor('echo', (n: number) => n, { broker: holder });
    actor('echo', (n: number) => n, { broker: other });
    await echo.send(1);
    const [held] = await receive(holder, { consumer: 'holder' });
    const until = Date.now() + 700;
    while (Date.now() < until) {
      expect(await receive(other, { consumer: 'other', signal: AbortSignal.timeout(60) })).toEqual([]);
    }
    await held?.ack();
  });

  it('returns at most max messages across several queues (extras go back)', async () => {
    const broker = make({ blockTime: 50 });
    const a = actor('a', (n: number) => n, { broker, queueName: 'qa' });
    const b = actor('b', (n: number) => n, { broker, queueName: 'qb' });
    await a.send(1);
    await b.send(2);
    const got: Delivery[] = [];
    const first = await receive(broker, { queues: ['qa', 'qb'], max: 1 });
    expect(first).toHaveLength(1);
    got.push(...first);
    while (got.length < 2) got.push(...(await receive(broker, { queues: ['qa', 'qb'], max: 1 })));
    expect(got.map((d) => d.message.args[0]).sort()).toEqual([1, 2]);
    for (const d of got) await d.ack();
  });

  it('drops entries that are not messages of ours, without failing', async () => {
    const broker = make({ blockTime: 50 });
    const echo = actor('echo', (n: number) => n, { broker });
    await receive(broker, { signal: AbortSignal.timeout(10) }); // creates the group
    const key = broker.streamKey('default');
    await admin.xadd(key, '*', 'message', 'not json');
    await admin.xadd(key, '*', 'message', JSON.stringify({ messageId: 'x\ny' }));
    await admin.xadd(key, '*', 'other', 'field');
    const sent = await echo.send(1);
    const deliveries: Delivery[] = [];
    while (deliveries.length === 0) deliveries.push(...(await receive(broker)));
    expect(deliveries.map((d) => d.message.messageId)).toEqual([sent.messageId]);
    await deliveries[0]?.ack();
    expect(await admin.xlen(key)).toBe(0);
  });

  it('recreates its consumer group if the stream is deleted', async () => {
    const broker = make({ blockTime: 50 });
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.send(1);
    for (const d of await receive(broker)) await d.ack();
    await admin.del(broker.streamKey('default'));
    await expect(receive(broker)).rejects.toThrow(/NOGROUP/);
    await echo.send(2);
    const [delivery] = await receive(broker);
    expect(delivery?.message.args).toEqual([2]);
    await delivery?.ack();
  });

  it('join() waits for queues to empty; close() makes it refuse work', async () => {
    const broker = make({ blockTime: 50 });
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.send(1);
    await expect(broker.join('default', { timeout: 60 })).rejects.toThrow(/not empty/);
    const [delivery] = await receive(broker);
    await delivery?.ack();
    await broker.join();
    await broker.close();
    await expect(echo.send(1)).rejects.toBeInstanceOf(BrokerClosedError);
    await expect(receive(broker)).rejects.toBeInstanceOf(BrokerClosedError);
  });

  it('opens and closes its own connections from a url', async () => {
    const broker = new RedisBroker({ url: server.url, prefix: `t:${randomUUID()}:` });
    const echo = actor('echo', (n: number) => n, { broker });
    await echo.send(1);
    const [delivery] = await broker.receive({
      queues: ['default'],
      max: 1,
      consumer: 'c',
      signal: new AbortController().signal,
    });
    await delivery?.ack();
    await broker.close();
  });

  it('validates its options, naming them', () => {
    const client = server.client();
    expect(() => new RedisBroker({})).toThrow(/either url .* or client/);
    expect(() => new RedisBroker({ url: server.url, client })).toThrow(TypeError);
    expect(() => new RedisBroker({ url: '' })).toThrow(/options\.url/);
    expect(() => new RedisBroker({ client: {} as Redis })).toThrow(/options\.client/);
    expect(() => new RedisBroker({ client, prefix: 'a{b' })).toThrow(/options\.prefix/);
    expect(() => new RedisBroker({ client, group: 'bad group' })).toThrow(/options\.group/);
    expect(() => new RedisBroker({ client, blockTime: 0 })).toThrow(/options\.blockTime/);
    expect(() => new RedisBroker({ client, claimIdleTime: -5 })).toThrow(/options\.claimIdleTime/);
  });
});
