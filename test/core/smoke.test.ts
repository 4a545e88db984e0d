import { interval, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Abortable, MemoryBackend } from '../../src/index.js';

describe('smoke', () => {
  it('stops a pipeline on abort', async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const done = lastValueFrom(interval(5).pipe(abortable.takeUntilAborted('a'), toArray()));
    setTimeout(() => void abortable.abort('a'), 30);
    expect((await done).length).toBeGreaterThan(0);
  });
});
