import { from, type Observable, of } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Actor,
  type ActorArgs,
  type ActorResult,
  actor,
  MemoryBroker,
  type Message,
  type TaskContext,
} from '../../src/index.js';

// These tests are checked by `tsc --noEmit` (the @ts-expect-error lines must be errors); at run time they
// only declare actors on a throwaway broker.
const broker = new MemoryBroker();

describe('actor argument types', () => {
  it('infers the args of send() from the handler, without the trailing context', async () => {
    const countWords = actor(
      'count_words',
      (url: string, { signal }: TaskContext) =>
        from(fetch(url, { signal }).then((response) => response.status)),
      { broker },
    );
    expectTypeOf(countWords).toEqualTypeOf<Actor<[url: string], number>>();
    expectTypeOf(countWords.send).parameters.toEqualTypeOf<[url: string]>();
    expectTypeOf(countWords.send('https://example.com')).resolves.toEqualTypeOf<Message<[url: string]>>();
    // @ts-expect-error a number is not a url
    void (() => countWords.send(1));
    // @ts-expect-error the url is required
    void (() => countWords.send());
    // @ts-expect-error one argument only
    void (() => countWords.send('a', 'b'));
    // @ts-expect-error args are typed in sendWithOptions too
    void (() => countWords.sendWithOptions({ args: [1] }));
    // @ts-expect-error args are required when the actor takes some
    void (() => countWords.sendWithOptions({ delay: 10 }));
    expectTypeOf(countWords.sendWithOptions)
      .parameter(0)
      .toHaveProperty('args')
      .toEqualTypeOf<[url: string]>();
  });

  it('handles handlers without a context, without args, and with only the context', () => {
    const add = actor('add', (a: number, b: number) => a + b, { broker });
    expectTypeOf(add).toEqualTypeOf<Actor<[a: number, b: number], number>>();
    const ping = actor('ping', () => of('pong' as const), { broker });
    expectTypeOf(ping.send).parameters.toEqualTypeOf<[]>();
    expectTypeOf(ping).toEqualTypeOf<Actor<[], 'pong'>>();
    void (() => ping.sendWithOptions({ delay: 5 }));
    const whoAmI = actor('who_am_i', ({ messageId }: TaskContext) => messageId, { broker });
    expectTypeOf(whoAmI.send).parameters.toEqualTypeOf<[]>();
    const picky = actor(
      'picky',
      (n: number, context: Pick<TaskContext, 'signal'>) => context.signal.aborted || n,
      {
        broker,
      },
    );
    expectTypeOf(picky.send).parameters.toEqualTypeOf<[n: number]>();
  });

  it('makes optional data parameters required (the context comes right after the sent args)', () => {
    type Args = ActorArgs<(n: number, depth?: number) => number>;
    expectTypeOf<Args>().toEqualTypeOf<[n: number, depth: number]>();
    type WithContext = ActorArgs<(n: number, depth: number | null, context?: TaskContext) => number>;
    expectTypeOf<WithContext>().toEqualTypeOf<[n: number, depth: number | null]>();
  });

  it('treats a last parameter typed unknown or any as data, and refuses rest parameters', () => {
    expectTypeOf<ActorArgs<(value: unknown) => unknown>>().toEqualTypeOf<[value: unknown]>();
    // biome-ignore lint/suspicious/noExplicitAny: what is tested.
    expectTypeOf<ActorArgs<(value: any) => unknown>>().toEqualTypeOf<[value: any]>();
    expectTypeOf<ActorArgs<(...urls: string[]) => unknown>>().toEqualTypeOf<never>();
    expectTypeOf<ActorArgs<(urls: string[], context: TaskContext) => unknown>>().toEqualTypeOf<
      [urls: string[]]
    >();
  });

  it('infers the result from an Observable, a promise, an async iterable or a plain value', () => {
    expectTypeOf<ActorResult<() => Observable<number>>>().toEqualTypeOf<number>();
    expectTypeOf<ActorResult<() => Promise<string>>>().toEqualTypeOf<string>();
    expectTypeOf<ActorResult<() => AsyncGenerator<boolean>>>().toEqualTypeOf<boolean>();
    expectTypeOf<ActorResult<() => { ok: true }>>().toEqualTypeOf<{ ok: true }>();
  });
});
