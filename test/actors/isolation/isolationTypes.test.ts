import { describe, expectTypeOf, it } from 'vitest';
import {
  type Actor,
  actor,
  type IsolatedActorOptions,
  MemoryBroker,
  type Message,
} from '../../../src/index.js';
import { BEHAVIOURS } from './support.js';

// Checked by `tsc --noEmit` (the @ts-expect-error lines must be errors); at run time they only declare
// actors on a throwaway broker (no isolate is started).
const broker = new MemoryBroker();

describe('isolated actor types', () => {
  it('types args and result from explicit type parameters', () => {
    const resize = actor<[path: string, width: number], string>('resize', BEHAVIOURS, {
      broker,
      isolation: 'thread',
    });
    expectTypeOf(resize).toEqualTypeOf<Actor<[path: string, width: number], string>>();
    expectTypeOf(resize.send('a.png', 100)).resolves.toEqualTypeOf<Message<[path: string, width: number]>>();
    // @ts-expect-error the width is a number
    void (() => resize.send('a.png', '100'));
    // @ts-expect-error sendWithOptions takes the same args
    void (() => resize.sendWithOptions({ args: ['a.png'] }));
  });

  it('takes a URL, a string path, and needs the isolation option', () => {
    const untyped = actor('untyped', BEHAVIOURS.href, { broker, isolation: 'process', maxRetries: 2 });
    expectTypeOf(untyped).toEqualTypeOf<Actor<unknown[], unknown>>();
    // @ts-expect-error a module needs options.isolation
    void (() => actor('no_isolation', BEHAVIOURS, { broker }));
    // @ts-expect-error isolation options need a module, not a function
    void (() => actor('function', () => 1, { broker, isolation: 'thread' }));
    // @ts-expect-error isolation is 'thread' or 'process'
    const wrong: IsolatedActorOptions = { isolation: 'fork' };
    void wrong;
  });
});
