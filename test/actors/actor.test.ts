import { defer, interval, map, of, take } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Actor,
  ActorAlreadyDeclaredError,
  ActorNotFoundError,
  actor,
  MAX_NAME_LENGTH,
  MemoryBroker,
  type TaskContext,
} from '../../src/index.js';
import { type Harness, harness } from './support.js';

let h: Harness;
afterEach(() => h?.teardown());

describe('actor()', () => {
  it('declares the actor on its broker, with the documented defaults', () => {
    h = harness();
    const ping = actor('ping', () => 'pong', { broker: h.broker });
    expect(ping).toBeInstanceOf(Actor);
    expect(h.broker.getActor('ping')).toBe(ping);
    expect(h.broker.actors).toEqual([ping]);
    expect(ping).toMatchObject({
      name: 'ping',
      queueName: 'default',
      abortable: undefined,
      maxRetries: 0,
      minBackoff: 1000,
      maxBackoff: 300_000,
    });
    expect(() => h.broker.getActor('pong')).toThrow(ActorNotFoundError);
  });

  it('refuses a second actor with the same name on one broker', () => {
    h = harness();
    actor('ping', () => 'pong', { broker: h.broker });
    expect(() => actor('ping', () => 'pong', { broker: h.broker })).toThrow(ActorAlreadyDeclaredError);
    expect(() => actor('ping', () => 'pong', { broker: new MemoryBroker() })).not.toThrow();
  });

  it('validates the name, naming the argument', () => {
    h = harness();
    const broker = h.broker;
    expect(() => actor(42 as unknown as string, () => 1, { broker })).toThrow(TypeError);
    expect(() => actor('', () => 1, { broker })).toThrow(/name must not be empty/);
    expect(() => actor('a'.repeat(MAX_NAME_LENGTH + 1), () => 1, { broker })).toThrow(RangeError);
    expect(() => actor('a'.repeat(MAX_NAME_LENGTH), () => 1, { broker })).not.toThrow();
    for (const bad of ['with space', 'glob*', 'brace{x}', 'new\nline', 'nul\0', 'é']) {
      expect(() => actor(bad, () => 1, { broker }), bad).toThrow(/^name may only contain/);
    }
    expect(() => actor('ok_name.v2:sub-task', () => 1, { broker })).not.toThrow();
  });

  it('validates the handler and options, naming them', () => {
    h = harness();
    const broker = h.broker;
    expect(() => actor('a', 'nope' as unknown as () => void, { broker })).toThrow(
      /handler must be a function/,
    );
    expect(() => actor('b', () => 1, { broker, queueName: 'no way' })).toThrow(/options\.queueName/);
    expect(() => actor('c', () => 1, { broker, maxRetries: -1 })).toThrow(/options\.maxRetries/);
    expect(() => actor('d', () => 1, { broker, maxRetries: 1.5 })).toThrow(RangeError);
    expect(() => actor('e', () => 1, { broker, abortable: 'yes' as unknown as boolean })).toThrow(
      /options\.abortable/,
    );
    expect(() => actor('f', () => 1, { broker, minBackoff: 10, maxBackoff: 5 })).toThrow(
      /options\.maxBackoff/,
    );
    expect(() => actor('g', () => 1, { broker: {} as MemoryBroker })).toThrow(/options\.broker/);
    expect(() => actor('h', () => 1, 'opts' as unknown as object)).toThrow(/options must be an object/);
  });
});

describe('send() and sendWithOptions()', () => {
  it('return the message: a UUID, the actor, the queue, the args, the options and the enqueue time', async () => {
    h = harness();
    const countWords = actor('count_words', (url: string) => url.length, {
      broker: h.broker,
      queueName: 'words',
    });
    const before = Date.now();
    const message = await countWords.send('https://example.com');
    expect(message.messageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(message).toMatchObject({
      actorName: 'count_words',
      queueName: 'words',
      args: ['https://example.com'],
      options: {},
      retries: 0,
    });
    expect(message.enqueuedAt).toBeGreaterThanOrEqual(before);
    expect(message).not.toHaveProperty('delay');
    const other = await countWords.send('https://example.org');
    expect(other.messageId).not.toBe(message.messageId);

    const later = await countWords.sendWithOptions({
      args: ['https://example.com'],
      delay: 60 * 60 * 1000,
      abortable: false,
      maxRetries: 2,
    });
    expect(later).toMatchObject({ delay: 3_600_000, options: { abortable: false, maxRetries: 2 } });
    expect(h.broker.stats()).toMatchObject({ ready: 2, delayed: 1 });
    await h.broker.close();
  });

  it('refuses args that are not JSON data at send, naming args[i] (synchronously)', () => {
    h = harness();
    const take = actor('take', (value: unknown, _context: TaskContext) => value, { broker: h.broker });
    const anyArgs = take as unknown as Actor<unknown[]>;
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: [unknown[], RegExp][] = [
      [[() => 1], /^args\[0\] is a function/],
      [[1, 10n], /^args\[1\] is a bigint/],
      [[Symbol('s')], /^args\[0\] is a symbol/],
      [[undefined], /^args\[0\] is undefined/],
      [[[1, undefined]], /^args\[0\]\[1\] is undefined/],
      [[Number.NaN], /^args\[0\] is NaN, which JSON turns into null/],
      [[{ rate: Number.POSITIVE_INFINITY }], /^args\[0\]\.rate is Infinity/],
      [[cycle], /^args\[0\]\.self refers back to itself/],
      [[new Date()], /^args\[0\] is a Date/],
      [[{ items: [new Map()] }], /^args\[0\]\.items\[0\] is a Map/],
      [[{ 'odd key': () => 1 }], /^args\[0\]\["odd key"\] is a function/],
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested.
      [[[1, , 3]], /^args\[0\]\[1\] is a hole/],
    ];
    for (const [args, error] of cases) {
      expect(() => anyArgs.send(...args), String(error)).toThrow(error);
      expect(() => anyArgs.send(...args)).toThrow(TypeError);
    }
    expect(h.broker.stats().ready).toBe(0);
  });

  it('accepts JSON data, including shared (non-cyclic) objects, null and dropped undefined properties', async () => {
    h = harness();
    const take = actor('take', (value: unknown) => value, { broker: h.broker });
    const shared = { a: 1 };
    const message = await take.send({
      left: shared,
      right: shared,
      none: null,
      gone: undefined,
      nested: [[{}]],
    });
    expect(message.args).toEqual([{ left: { a: 1 }, right: { a: 1 }, none: null, nested: [[{}]] }]);
    await h.broker.close();
  });

  it('validates sendWithOptions options, naming them', () => {
    h = harness();
    const ping = actor('ping', (n: number) => n, { broker: h.broker });
    expect(() => ping.sendWithOptions({ args: [1], delay: -1 })).toThrow(/options\.delay/);
    expect(() => ping.sendWithOptions({ args: [1], delay: 1.5 })).toThrow(RangeError);
    expect(() => ping.sendWithOptions({ args: [1], delay: Number.NaN })).toThrow(/options\.delay/);
    expect(() => ping.sendWithOptions({ args: [1], delay: '5' as unknown as number })).toThrow(TypeError);
    expect(() => ping.sendWithOptions({ args: [1], abortable: 1 as unknown as boolean })).toThrow(
      /options\.abortable/,
    );
    expect(() => ping.sendWithOptions({ args: [1], maxRetries: -2 })).toThrow(/options\.maxRetries/);
    expect(() => ping.sendWithOptions({ args: 'x' as unknown as [number] })).toThrow(
      /^args must be an array/,
    );
    expect(() => ping.sendWithOptions(null as unknown as { args: [number] })).toThrow(
      /options must be an object/,
    );
  });
});

describe('handlers', () => {
  it('get the args, then the context last', async () => {
    h = harness();
    const seen: unknown[] = [];
    const greet = actor(
      'greet',
      (name: string, times: number, context: TaskContext) => {
        seen.push(
          name,
          times,
          context.messageId,
          context.signal instanceof AbortSignal,
          context.abortRequested(),
        );
        return name.repeat(times);
      },
      { broker: h.broker },
    );
    h.worker();
    const message = await greet.send('ab', 2);
    const done = await h.next('succeeded', message.messageId);
    expect(done.result).toBe('abab');
    expect(seen).toEqual(['ab', 2, message.messageId, true, null]);
  });

  it('may return an Observable, a promise, an async iterable or a plain value', async () => {
    h = harness();
    const broker = h.broker;
    const observable = actor('observable', () => interval(1).pipe(take(3)), { broker });
    const promise = actor('promise', async (n: number) => n * 2, { broker });
    const iterable = actor(
      'iterable',
      async function* () {
        yield 'a';
        yield 'b';
      },
      { broker },
    );
    const plain = actor('plain', () => [1, 2], { broker });
    const nothing = actor('nothing', () => undefined, { broker });
    const deferred = actor('deferred', (n: number) => defer(() => of(n)).pipe(map((x) => x + 1)), { broker });
    h.worker();
    const results = await Promise.all(
      [
        observable.send(),
        promise.send(21),
        iterable.send(),
        plain.send(),
        nothing.send(),
        deferred.send(1),
      ].map(async (sent) => (await h.next('succeeded', (await sent).messageId)).result),
    );
    expect(results).toEqual([2, 42, 'b', [1, 2], undefined, 2]);
  });

  it('fail the task when they throw synchronously, reject or error', async () => {
    h = harness();
    const broker = h.broker;
    const throws = actor(
      'throws',
      () => {
        throw new Error('sync');
      },
      { broker },
    );
    const rejects = actor(
      'rejects',
      async () => {
        throw new Error('async');
      },
      { broker },
    );
    h.worker();
    const [a, b] = await Promise.all([throws.send(), rejects.send()]);
    expect(((await h.next('failed', a.messageId)).error as Error).message).toBe('sync');
    expect(((await h.next('failed', b.messageId)).error as Error).message).toBe('async');
  });
});
