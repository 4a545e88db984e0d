import { NEVER, Observable, Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { Abortable, BackendClosedError, MemoryBackend, takeUntilAborted } from '../../src/index.js';

const setup = () => {
  const backend = new MemoryBackend();
  return { backend, abortable: new Abortable({ backend }) };
};

const record = () => {
  const values: number[] = [];
  const observer = { next: (value: number) => values.push(value), complete: vi.fn(), error: vi.fn() };
  return { values, observer };
};

describe('takeUntilAborted', () => {
  it('mirrors the source until the id is aborted, then completes and unsubscribes the source', async () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    const { values, observer } = record();
    source.pipe(takeUntilAborted('job-1', { abortable })).subscribe(observer);
    source.next(1);
    source.next(2);
    await abortable.abort('job-1');
    source.next(3);
    expect(values).toEqual([1, 2]);
    expect(observer.complete).toHaveBeenCalledOnce();
    expect(observer.error).not.toHaveBeenCalled();
    expect(source.observed).toBe(false);
    expect(backend.watchedIds).toBe(0);
  });

  it('runs the teardown of the source on abort', async () => {
    const { abortable } = setup();
    const teardown = vi.fn();
    const source = new Observable<number>(() => teardown);
    const subscription = source.pipe(abortable.takeUntilAborted('job-1')).subscribe();
    expect(teardown).not.toHaveBeenCalled();
    await abortable.abort('job-1');
    expect(teardown).toHaveBeenCalledOnce();
    expect(subscription.closed).toBe(true);
  });

  it('never subscribes the source when the id was aborted before (inside its window)', async () => {
    const { backend, abortable } = setup();
    await abortable.abort('job-1');
    const source = new Subject<number>();
    const { observer } = record();
    source.pipe(takeUntilAborted('job-1', { abortable })).subscribe(observer);
    expect(observer.complete).toHaveBeenCalledOnce();
    expect(source.observed).toBe(false);
    expect(backend.watchedIds).toBe(0);
  });

  it("lets a 'cancel' and other ids pass", async () => {
    const { backend, abortable } = setup();
    const { observer } = record();
    const subscription = NEVER.pipe(abortable.takeUntilAborted('job-1')).subscribe(observer);
    await abortable.abort('job-1', { mode: 'cancel' });
    await abortable.abort('job-2');
    expect(observer.complete).not.toHaveBeenCalled();
    expect(backend.watchedIds).toBe(1);
    subscription.unsubscribe();
    expect(backend.watchedIds).toBe(0);
  });

  it('releases the watch when the source completes or the subscriber leaves', () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    source.pipe(abortable.takeUntilAborted('job-1')).subscribe();
    const left = source.pipe(abortable.takeUntilAborted('job-2')).subscribe();
    expect(backend.watchedIds).toBe(2);
    left.unsubscribe();
    expect(backend.watchedIds).toBe(1);
    source.complete();
    expect(backend.watchedIds).toBe(0);
  });

  it('errors with the backend error when the watch fails', async () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    const { observer } = record();
    source.pipe(abortable.takeUntilAborted('job-1')).subscribe(observer);
    await backend.close();
    expect(observer.error).toHaveBeenCalledWith(expect.any(BackendClosedError));
    expect(source.observed).toBe(false);
  });

  it('validates the id when the operator is built, not when it is subscribed', () => {
    const { abortable } = setup();
    expect(() => takeUntilAborted('', { abortable })).toThrow(RangeError);
    expect(() => abortable.takeUntilAborted('')).toThrow(RangeError);
  });
});
