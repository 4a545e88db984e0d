// MemoryBackend's options go through the central key check, as every other options argument does.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/index.js';

describe('new MemoryBackend(options)', () => {
  it('rejects an unknown key with a TypeError naming it and the closest known key', () => {
    expect(() => new MemoryBackend({ schedular: undefined } as never)).toThrow(TypeError);
    expect(() => new MemoryBackend({ schedular: undefined } as never)).toThrow(
      'options has an unknown key "schedular": did you mean "scheduler"?',
    );
    expect(() => new MemoryBackend({ abortTtl: 5 } as never)).toThrow(
      /^options has an unknown key "abortTtl": the known keys are scheduler$/,
    );
  });

  it('rejects options that are not an object', () => {
    expect(() => new MemoryBackend(null as never)).toThrow(/^options must be an object, got null/);
    expect(() => new MemoryBackend('fast' as never)).toThrow(TypeError);
  });

  it('takes no options, an empty object, or a scheduler', async () => {
    for (const backend of [new MemoryBackend(), new MemoryBackend({}), new MemoryBackend(undefined)]) {
      await backend.close();
    }
    const scheduler = new TestScheduler(() => {});
    const backend = new MemoryBackend({ scheduler });
    await backend.mark([{ id: 'a', mode: 'abort', abortTimeout: 0, at: 0 }], 10);
    expect(await backend.read('a')).toMatchObject({ id: 'a' });
    scheduler.frame = 11; // the mark's window is over on the given clock
    expect(await backend.read('a')).toBeNull();
    await backend.close();
  });
});
