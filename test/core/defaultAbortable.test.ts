import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Abortable,
  abort,
  abort$,
  aborted,
  abortSignal,
  getDefaultAbortable,
  MemoryBackend,
  NoAbortableError,
  setDefaultAbortable,
  takeUntilAborted,
  throwOnAbort,
} from '../../src/index.js';

const newAbortable = (): Abortable => new Abortable({ backend: new MemoryBackend() });

afterEach(() => {
  setDefaultAbortable(undefined);
});

describe('getDefaultAbortable', () => {
  it('throws NoAbortableError, saying how to configure one, when none is set or passed', () => {
    expect(() => getDefaultAbortable()).toThrow(NoAbortableError);
    expect(() => getDefaultAbortable({})).toThrow(/setDefaultAbortable\(new Abortable\(\{ backend \}\)\)/);
  });

  it('returns the Abortable passed in the options before the default', () => {
    const passed = newAbortable();
    setDefaultAbortable(newAbortable());
    expect(getDefaultAbortable({ abortable: passed })).toBe(passed);
    expect(getDefaultAbortable({ abortable: undefined })).not.toBe(passed);
  });

  it('returns the instance given to setDefaultAbortable', () => {
    const instance = newAbortable();
    setDefaultAbortable(instance);
    expect(getDefaultAbortable()).toBe(instance);
  });

  it('asks a provider function every time (the default broker looks its middleware up)', () => {
    let current: Abortable | undefined;
    const provider = vi.fn(() => current);
    setDefaultAbortable(provider);
    expect(() => getDefaultAbortable()).toThrow(NoAbortableError);
    current = newAbortable();
    expect(getDefaultAbortable()).toBe(current);
    const next = newAbortable();
    current = next;
    expect(getDefaultAbortable()).toBe(next);
    expect(provider).toHaveBeenCalledTimes(3);
  });

  it('does not ask the provider when the options carry an Abortable', () => {
    const provider = vi.fn(newAbortable);
    setDefaultAbortable(provider);
    getDefaultAbortable({ abortable: newAbortable() });
    expect(provider).not.toHaveBeenCalled();
  });

  it('forgets the default when given undefined', () => {
    setDefaultAbortable(newAbortable());
    setDefaultAbortable(undefined);
    expect(() => getDefaultAbortable()).toThrow(NoAbortableError);
  });
});

describe('setDefaultAbortable', () => {
  it.each([
    ['null', null],
    ['a string', 'abortable'],
    ['a number', 1],
  ])('rejects %s with a TypeError', (_label, value) => {
    expect(() => setDefaultAbortable(value as never)).toThrow(TypeError);
    expect(() => setDefaultAbortable(value as never)).toThrow(/^abortable must be an Abortable/);
  });
});

describe('top-level functions without an Abortable', () => {
  it.each([
    ['abort', () => abort('job-1')],
    ['abort$', () => abort$('job-1')],
    ['aborted', () => aborted('job-1')],
    ['abortSignal', () => abortSignal('job-1')],
    ['takeUntilAborted', () => takeUntilAborted('job-1')],
    ['throwOnAbort', () => throwOnAbort('job-1')],
  ])('%s throws NoAbortableError synchronously', (_name, call) => {
    expect(call).toThrow(NoAbortableError);
  });
});

describe('top-level functions use the default', () => {
  it('abort, aborted, abort$ and abortSignal go through the default Abortable', async () => {
    const backend = new MemoryBackend();
    setDefaultAbortable(() => new Abortable({ backend })); // a fresh facade per call, one backend
    const events: unknown[] = [];
    abort$('job-1').subscribe((event) => events.push(event));
    const signal = abortSignal('job-1');
    await abort('job-1', { reason: 'default' });
    expect(await aborted('job-1')).toMatchObject({ id: 'job-1', mode: 'abort', reason: 'default' });
    expect(events).toMatchObject([{ id: 'job-1', reason: 'default' }]);
    expect(signal.aborted).toBe(true);
    expect(backend.watchedIds).toBe(0);
  });

  it('takeUntilAborted and throwOnAbort go through the default Abortable', async () => {
    const abortable = newAbortable();
    setDefaultAbortable(abortable);
    const source = new Subject<number>();
    const completed = vi.fn();
    const errored = vi.fn();
    source.pipe(takeUntilAborted('job-1')).subscribe({ complete: completed });
    source.pipe(throwOnAbort('job-2')).subscribe({ error: errored });
    await abortable.abort(['job-1', 'job-2']);
    expect(completed).toHaveBeenCalledOnce();
    expect(errored).toHaveBeenCalledOnce();
    expect(source.observed).toBe(false);
  });

  it('an Abortable passed in the options wins over the default', async () => {
    const fallback = newAbortable();
    const passed = newAbortable();
    setDefaultAbortable(fallback);
    await abort('job-1', { abortable: passed });
    expect(await aborted('job-1', { abortable: passed })).not.toBeNull();
    expect(await aborted('job-1')).toBeNull();
  });
});
