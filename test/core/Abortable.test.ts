import { firstValueFrom, type Observable, Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Abort,
  Abortable,
  type AbortEvent,
  abort,
  abort$,
  aborted,
  type EventBackend,
  MemoryBackend,
} from '../../src/index.js';

/** A backend that records what the Abortable asks of it. */
class RecordingBackend implements EventBackend {
  readonly marks: { events: readonly AbortEvent[]; abortTtl: number }[] = [];
  readonly reads: string[] = [];
  readonly watches = new Map<string, Subject<AbortEvent>>();
  closed = 0;
  markResult: Promise<void> = Promise.resolve();

  mark(events: readonly AbortEvent[], abortTtl: number): Promise<void> {
    this.marks.push({ events, abortTtl });
    return this.markResult;
  }

  read(id: string): Promise<AbortEvent | null> {
    this.reads.push(id);
    return Promise.resolve(null);
  }

  watch(id: string): Observable<AbortEvent> {
    const subject = new Subject<AbortEvent>();
    this.watches.set(id, subject);
    return subject;
  }

  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('new Abortable', () => {
  it('has the documented defaults', () => {
    const backend = new MemoryBackend();
    const abortable = new Abortable({ backend });
    expect(abortable.backend).toBe(backend);
    expect(abortable.abortTtl).toBe(90_000);
    expect(abortable.abortable).toBe(true);
  });

  it('keeps the settings it is given', () => {
    const abortable = new Abortable({ backend: new MemoryBackend(), abortTtl: 5_000, abortable: false });
    expect(abortable.abortTtl).toBe(5_000);
    expect(abortable.abortable).toBe(false);
  });

  it('accepts any object with the EventBackend methods', () => {
    expect(() => new Abortable({ backend: new RecordingBackend() })).not.toThrow();
  });
});

describe('Abortable#abort', () => {
  it('writes one mark per id with the default options, the default abortTtl and the time of the call', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend, abortTtl: 1_000 });
    await expect(abortable.abort('job-1')).resolves.toBeUndefined();
    expect(backend.marks).toEqual([
      { events: [{ id: 'job-1', mode: 'abort', abortTimeout: 0, at: 1_700_000_000_000 }], abortTtl: 1_000 },
    ]);
    expect(Object.keys(backend.marks[0]?.events[0] ?? {})).not.toContain('reason');
  });

  it('passes every option on, and many ids in one mark call without duplicates', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(7);
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    await abortable.abort(['job-1', 'job-2', 'job-1'], {
      mode: 'cancel',
      abortTtl: 60_000,
      abortTimeout: 2_500,
      reason: 'deploy',
    });
    expect(backend.marks).toHaveLength(1);
    expect(backend.marks[0]).toEqual({
      events: [
        { id: 'job-1', mode: 'cancel', reason: 'deploy', abortTimeout: 2_500, at: 7 },
        { id: 'job-2', mode: 'cancel', reason: 'deploy', abortTimeout: 2_500, at: 7 },
      ],
      abortTtl: 60_000,
    });
  });

  it('rejects when the backend fails to store the marks', async () => {
    const backend = new RecordingBackend();
    const failure = new Error('connection lost');
    backend.markResult = Promise.reject(failure);
    await expect(new Abortable({ backend }).abort('job-1')).rejects.toBe(failure);
  });

  it('top-level abort does the same through the given Abortable', async () => {
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    await abort(['a', 'b'], { abortable, mode: 'cancel' });
    expect(backend.marks[0]?.events.map((event) => [event.id, event.mode])).toEqual([
      ['a', 'cancel'],
      ['b', 'cancel'],
    ]);
  });
});

describe('Abortable#abort$', () => {
  it('does not watch until it is subscribed', () => {
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    const events = abortable.abort$('job-1');
    expect(backend.watches.size).toBe(0);
    const subscription = events.subscribe();
    expect(backend.watches.get('job-1')?.observed).toBe(true);
    subscription.unsubscribe();
    expect(backend.watches.get('job-1')?.observed).toBe(false);
  });

  it("emits the first 'abort' event, skipping 'cancel' ones, then completes and unwatches", () => {
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    const seen: AbortEvent[] = [];
    const complete = vi.fn();
    abort$('job-1', { abortable }).subscribe({ next: (event) => seen.push(event), complete });
    const watch = backend.watches.get('job-1')!;
    const cancel: AbortEvent = { id: 'job-1', mode: 'cancel', abortTimeout: 0, at: 1 };
    const first: AbortEvent = { id: 'job-1', mode: 'abort', abortTimeout: 0, at: 2 };
    watch.next(cancel);
    watch.next(first);
    watch.next({ ...first, at: 3 });
    expect(seen).toEqual([first]);
    expect(complete).toHaveBeenCalledOnce();
    expect(watch.observed).toBe(false);
  });

  it('passes watch errors on', async () => {
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    const result = firstValueFrom(abortable.abort$('job-1'));
    const failure = new Error('notifications are off');
    backend.watches.get('job-1')?.error(failure);
    await expect(result).rejects.toBe(failure);
  });
});

describe('Abortable#aborted', () => {
  it('reads the live mark through the backend', async () => {
    const backend = new RecordingBackend();
    const abortable = new Abortable({ backend });
    expect(await abortable.aborted('job-1')).toBeNull();
    expect(await aborted('job-2', { abortable })).toBeNull();
    expect(backend.reads).toEqual(['job-1', 'job-2']);
  });

  it('sees both modes, and the latest mark of an id', async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    await abortable.abort('job-1', { mode: 'cancel' });
    expect(await abortable.aborted('job-1')).toMatchObject({ id: 'job-1', mode: 'cancel' });
    await abortable.abort('job-1', { reason: 'now' });
    expect(await abortable.aborted('job-1')).toMatchObject({ id: 'job-1', mode: 'abort', reason: 'now' });
    expect(await abortable.aborted('job-2')).toBeNull();
  });
});

describe('Abortable operators and signal', () => {
  it('takeUntilAborted completes, throwOnAbort errors with Abort, abortSignal aborts', async () => {
    const abortable = new Abortable({ backend: new MemoryBackend() });
    const source = new Subject<number>();
    const completed = vi.fn();
    const errored = vi.fn();
    source.pipe(abortable.takeUntilAborted('job-1')).subscribe({ complete: completed });
    source.pipe(abortable.throwOnAbort('job-1')).subscribe({ error: errored });
    const signal = abortable.abortSignal('job-1');
    await abortable.abort('job-1');
    expect(completed).toHaveBeenCalledOnce();
    expect(errored).toHaveBeenCalledWith(expect.any(Abort));
    expect(signal.reason).toBeInstanceOf(Abort);
  });
});

describe('Abortable#close', () => {
  it('closes the backend', async () => {
    const backend = new RecordingBackend();
    await new Abortable({ backend }).close();
    expect(backend.closed).toBe(1);
  });
});
