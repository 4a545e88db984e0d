import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  Abort,
  Abortable,
  type AbortEvent,
  abortSignal,
  BackendClosedError,
  MemoryBackend,
  signalFromAbortEvents,
} from '../../src/index.js';

const setup = () => {
  const backend = new MemoryBackend();
  return { backend, abortable: new Abortable({ backend }) };
};

const event = (id: string, overrides: Partial<AbortEvent> = {}): AbortEvent => ({
  id,
  mode: 'abort',
  abortTimeout: 0,
  at: 1,
  ...overrides,
});

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('abortSignal', () => {
  it('aborts with an Abort carrying the event when the id is aborted', async () => {
    const { backend, abortable } = setup();
    const signal = abortSignal('job-1', { abortable });
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    expect(backend.watchedIds).toBe(1);
    await abortable.abort('job-1', { reason: 'user', abortTimeout: 500 });
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(Abort);
    expect(signal.reason).toMatchObject({ id: 'job-1', mode: 'abort', reason: 'user' });
    expect((signal.reason as Abort).event.abortTimeout).toBe(500);
    expect(backend.watchedIds).toBe(0);
  });

  it('aborts at once for an abort requested before the call, inside its window', async () => {
    const { backend, abortable } = setup();
    await abortable.abort('job-1');
    const signal = abortable.abortSignal('job-1');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(Abort);
    expect(backend.watchedIds).toBe(0);
  });

  it("ignores a 'cancel' and ids other than its own", async () => {
    const { backend, abortable } = setup();
    const signal = abortable.abortSignal('job-1');
    await abortable.abort('job-1', { mode: 'cancel' });
    await abortable.abort('job-2');
    expect(signal.aborted).toBe(false);
    signal.release();
    expect(backend.watchedIds).toBe(0);
  });

  it('fires its abort event once, for consumers such as timers', async () => {
    const { abortable } = setup();
    const signal = abortable.abortSignal('job-1');
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    const timer = sleep(60_000, undefined, { signal });
    await abortable.abort('job-1');
    await abortable.abort('job-1');
    await expect(timer).rejects.toMatchObject({ name: 'AbortError', cause: signal.reason });
    expect(signal.reason).toBeInstanceOf(Abort);
    expect(fired).toBe(1);
  });

  describe('release', () => {
    it('release() stops the watch, leaves the signal as it is, and is idempotent', async () => {
      const { backend, abortable } = setup();
      const signal = abortable.abortSignal('job-1');
      expect(backend.watchedIds).toBe(1);
      signal.release();
      signal.release();
      expect(backend.watchedIds).toBe(0);
      expect(signal.aborted).toBe(false);
      await abortable.abort('job-1');
      expect(signal.aborted).toBe(false);
    });

    it('leaving a `using` block releases the watch', () => {
      const { backend, abortable } = setup();
      {
        using signal = abortable.abortSignal('job-1');
        expect(signal.aborted).toBe(false);
        expect(backend.watchedIds).toBe(1);
      }
      expect(backend.watchedIds).toBe(0);
    });

    it('[Symbol.dispose]() is release()', () => {
      const { backend, abortable } = setup();
      const signal = abortable.abortSignal('job-1');
      signal[Symbol.dispose]();
      expect(backend.watchedIds).toBe(0);
      signal.release();
    });
  });

  describe('parent signal', () => {
    it('an aborted parent aborts the signal at once with its reason, without watching', () => {
      const { backend, abortable } = setup();
      const parent = AbortSignal.abort('shutdown');
      const signal = abortable.abortSignal('job-1', { signal: parent });
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe('shutdown');
      expect(backend.watchedIds).toBe(0);
      expect(abortListeners(parent)).toBe(0);
      signal.release();
    });

    it('the parent aborting later aborts the signal with its reason and releases everything', () => {
      const { backend, abortable } = setup();
      const parent = new AbortController();
      const signal = abortSignal('job-1', { abortable, signal: parent.signal });
      expect(abortListeners(parent.signal)).toBe(1);
      expect(backend.watchedIds).toBe(1);
      const reason = new Error('request closed');
      parent.abort(reason);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
      expect(backend.watchedIds).toBe(0);
      expect(abortListeners(parent.signal)).toBe(0);
    });

    it('an abort of the id removes the listener from the parent', async () => {
      const { backend, abortable } = setup();
      const parent = new AbortController();
      const signal = abortable.abortSignal('job-1', { signal: parent.signal });
      await abortable.abort('job-1');
      expect(signal.reason).toBeInstanceOf(Abort);
      expect(abortListeners(parent.signal)).toBe(0);
      expect(backend.watchedIds).toBe(0);
      parent.abort('too late');
      expect(signal.reason).toBeInstanceOf(Abort);
    });

    it('release() removes the listener from the parent', () => {
      const { backend, abortable } = setup();
      const parent = new AbortController();
      const signals = [1, 2, 3].map((n) => abortable.abortSignal(`job-${n}`, { signal: parent.signal }));
      expect(abortListeners(parent.signal)).toBe(3);
      for (const signal of signals) signal.release();
      expect(abortListeners(parent.signal)).toBe(0);
      expect(backend.watchedIds).toBe(0);
      parent.abort();
      for (const signal of signals) expect(signal.aborted).toBe(false);
    });
  });

  describe('backend failures', () => {
    it('a closed backend aborts the signal at once with BackendClosedError as its reason', async () => {
      const { backend, abortable } = setup();
      await backend.close();
      const signal = abortable.abortSignal('job-1');
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(BackendClosedError);
    });

    it('closing the backend while watching aborts the signal with BackendClosedError', async () => {
      const { backend, abortable } = setup();
      const parent = new AbortController();
      const signal = abortable.abortSignal('job-1', { signal: parent.signal });
      await backend.close();
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(BackendClosedError);
      expect(signal.reason).not.toBeInstanceOf(Abort);
      expect(abortListeners(parent.signal)).toBe(0);
    });
  });
});

describe('signalFromAbortEvents', () => {
  it('aborts at the first event and unsubscribes from the stream', () => {
    const events = new Subject<AbortEvent>();
    const signal = signalFromAbortEvents(events);
    expect(events.observed).toBe(true);
    events.next(event('job-1', { reason: 'first' }));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ id: 'job-1', reason: 'first' });
    expect(events.observed).toBe(false);
  });

  it('handles a stream that emits while it is subscribed and never completes', () => {
    let tornDown = false;
    const events = new Observable<AbortEvent>((subscriber) => {
      subscriber.next(event('job-1'));
      return () => {
        tornDown = true;
      };
    });
    const signal = signalFromAbortEvents(events);
    expect(signal.aborted).toBe(true);
    expect(tornDown).toBe(true);
  });

  it('aborts with the error of a stream that errors', () => {
    const events = new Subject<AbortEvent>();
    const signal = signalFromAbortEvents(events);
    const failure = new Error('watch failed');
    events.error(failure);
    expect(signal.reason).toBe(failure);
  });

  it('does not subscribe when the parent has already aborted', () => {
    const events = new Subject<AbortEvent>();
    const signal = signalFromAbortEvents(events, { signal: AbortSignal.abort('gone') });
    expect(events.observed).toBe(false);
    expect(signal.reason).toBe('gone');
  });

  it('rejects a parent that is not an AbortSignal', () => {
    expect(() => signalFromAbortEvents(new Subject<AbortEvent>(), { signal: {} as AbortSignal })).toThrow(
      TypeError,
    );
  });
});
