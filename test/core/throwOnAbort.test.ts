import { Observable, Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  Abort,
  Abortable,
  type AbortEvent,
  BackendClosedError,
  MemoryBackend,
  throwOnAbort,
  throwOnAbortEvent,
} from '../../src/index.js';

const setup = () => {
  const backend = new MemoryBackend();
  return { backend, abortable: new Abortable({ backend }) };
};

const record = () => {
  const values: number[] = [];
  const observer = { next: (value: number) => values.push(value), complete: vi.fn(), error: vi.fn() };
  return { values, observer };
};

describe('throwOnAbort', () => {
  it('mirrors the source until the id is aborted, then errors with Abort and unsubscribes the source', async () => {
    const { backend, abortable } = setup();
    const teardown = vi.fn();
    const source = new Subject<number>();
    const { values, observer } = record();
    new Observable<number>((subscriber) => {
      const inner = source.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        teardown();
      };
    })
      .pipe(throwOnAbort('job-1', { abortable }))
      .subscribe(observer);
    source.next(1);
    await abortable.abort('job-1', { reason: 'user', abortTimeout: 100 });
    source.next(2);
    expect(values).toEqual([1]);
    expect(observer.complete).not.toHaveBeenCalled();
    expect(observer.error).toHaveBeenCalledOnce();
    const error = observer.error.mock.calls[0]?.[0] as Abort;
    expect(error).toBeInstanceOf(Abort);
    expect(error).toMatchObject({ id: 'job-1', mode: 'abort', reason: 'user' });
    expect(error.event.abortTimeout).toBe(100);
    expect(teardown).toHaveBeenCalledOnce();
    expect(source.observed).toBe(false);
    expect(backend.watchedIds).toBe(0);
  });

  it('errors at once, without subscribing the source, for an abort requested before', async () => {
    const { backend, abortable } = setup();
    await abortable.abort('job-1');
    const source = new Subject<number>();
    const { observer } = record();
    source.pipe(abortable.throwOnAbort('job-1')).subscribe(observer);
    expect(observer.error).toHaveBeenCalledWith(expect.any(Abort));
    expect(source.observed).toBe(false);
    expect(backend.watchedIds).toBe(0);
  });

  it("ignores a 'cancel'", async () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    const { values, observer } = record();
    const subscription = source.pipe(abortable.throwOnAbort('job-1')).subscribe(observer);
    await abortable.abort('job-1', { mode: 'cancel' });
    source.next(1);
    expect(values).toEqual([1]);
    expect(observer.error).not.toHaveBeenCalled();
    subscription.unsubscribe();
    expect(backend.watchedIds).toBe(0);
    expect(source.observed).toBe(false);
  });

  it('completes with the source and releases the watch', () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    const { observer } = record();
    source.pipe(abortable.throwOnAbort('job-1')).subscribe(observer);
    source.complete();
    expect(observer.complete).toHaveBeenCalledOnce();
    expect(backend.watchedIds).toBe(0);
  });

  it('passes the errors of the source and of the watch through', async () => {
    const { backend, abortable } = setup();
    const source = new Subject<number>();
    const first = record();
    source.pipe(abortable.throwOnAbort('job-1')).subscribe(first.observer);
    const failure = new Error('source failed');
    source.error(failure);
    expect(first.observer.error).toHaveBeenCalledWith(failure);
    expect(backend.watchedIds).toBe(0);

    const other = new Subject<number>();
    const second = record();
    other.pipe(abortable.throwOnAbort('job-1')).subscribe(second.observer);
    await backend.close();
    expect(second.observer.error).toHaveBeenCalledWith(expect.any(BackendClosedError));
    expect(other.observed).toBe(false);
  });
});

describe('throwOnAbortEvent', () => {
  it('errors with Abort at the first event of any stream and unsubscribes it', () => {
    const events = new Subject<AbortEvent>();
    const source = new Subject<string>();
    const { observer } = record();
    source.pipe(throwOnAbortEvent<string>(events)).subscribe(observer as never);
    expect(events.observed).toBe(true);
    events.next({ id: 'x', mode: 'cancel', abortTimeout: 0, at: 0 });
    expect(observer.error).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'Abort', id: 'x', mode: 'cancel' }),
    );
    expect(events.observed).toBe(false);
    expect(source.observed).toBe(false);
  });
});
