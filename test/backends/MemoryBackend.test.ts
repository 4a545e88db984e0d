import { setTimeout as sleep } from 'node:timers/promises';
import { type Subscription, take, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { type AbortEvent, BackendClosedError, MemoryBackend } from '../../src/index.js';

const event = (id: string, overrides: Partial<AbortEvent> = {}): AbortEvent => ({
  id,
  mode: 'abort',
  abortTimeout: 0,
  at: 0,
  ...overrides,
});

/** A MemoryBackend on a virtual clock, and a way to move that clock forward. */
const virtual = () => {
  const scheduler = new VirtualTimeScheduler();
  const backend = new MemoryBackend({ scheduler });
  const advance = (milliseconds: number): void => {
    scheduler.schedule(() => {}, milliseconds);
    scheduler.flush();
  };
  return { scheduler, backend, advance };
};

const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout' || resource === 'Immediate')
    .length;

describe('MemoryBackend TTL (virtual clock)', () => {
  it('keeps a mark for exactly abortTtl milliseconds', async () => {
    const { backend, advance } = virtual();
    await backend.mark([event('job-1')], 100);
    advance(99);
    expect(backend.readNow('job-1')).toEqual(event('job-1'));
    expect(await backend.read('job-1')).toEqual(event('job-1'));
    advance(1);
    expect(backend.readNow('job-1')).toBeNull();
    expect(await backend.read('job-1')).toBeNull();
  });

  it('gives each mark call its own expiry, and a new mark of an id a new one', async () => {
    const { backend, advance } = virtual();
    await backend.mark([event('short'), event('long')], 10);
    advance(5);
    await backend.mark([event('long', { mode: 'cancel' })], 10);
    advance(5);
    expect(backend.readNow('short')).toBeNull();
    expect(backend.readNow('long')).toEqual(event('long', { mode: 'cancel' }));
    advance(5);
    expect(backend.readNow('long')).toBeNull();
  });

  it('does not emit an expired mark to a new watcher', async () => {
    const { backend, advance } = virtual();
    await backend.mark([event('job-1')], 10);
    advance(10);
    const next = vi.fn();
    const subscription = backend.watch('job-1').subscribe(next);
    expect(next).not.toHaveBeenCalled();
    subscription.unsubscribe();
  });

  it('uses asyncScheduler (the real clock) by default', async () => {
    const backend = new MemoryBackend();
    await backend.mark([event('job-1')], 1);
    await sleep(20); // any wait longer than the TTL: this asserts expiry, never speed
    expect(backend.readNow('job-1')).toBeNull();
  });
});

describe('MemoryBackend sweep', () => {
  it('drops expired marks as the store grows, and keeps live ones', async () => {
    const { backend, advance } = virtual();
    const ids = Array.from({ length: 1023 }, (_, index) => event(`old-${index}`));
    await backend.mark(ids, 10);
    expect(backend.size).toBe(1023);
    advance(10);
    expect(backend.size).toBe(1023); // expired but not yet swept: nothing runs in the background
    await backend.mark([event('fresh')], 1_000);
    expect(backend.size).toBe(1);
    expect(backend.readNow('fresh')).not.toBeNull();
  });

  it('drops an expired mark when it is read', async () => {
    const { backend, advance } = virtual();
    await backend.mark([event('job-1')], 10);
    advance(10);
    expect(backend.size).toBe(1);
    expect(backend.readNow('job-1')).toBeNull();
    expect(backend.size).toBe(0);
  });
});

describe('MemoryBackend watch', () => {
  it('emits the live mark on subscription, then every later mark, and never completes', async () => {
    const { backend } = virtual();
    await backend.mark([event('job-1', { mode: 'cancel' })], 100);
    const seen: AbortEvent[] = [];
    const complete = vi.fn();
    const subscription = backend.watch('job-1').subscribe({ next: (e) => seen.push(e), complete });
    await backend.mark([event('job-1', { reason: 'second' })], 100);
    await backend.mark([event('job-2')], 100);
    expect(seen).toEqual([event('job-1', { mode: 'cancel' }), event('job-1', { reason: 'second' })]);
    expect(complete).not.toHaveBeenCalled();
    subscription.unsubscribe();
  });

  it('stores and delivers synchronously: the mark is there before the promise settles', () => {
    const { backend } = virtual();
    const next = vi.fn();
    const subscription = backend.watch('job-1').subscribe(next);
    void backend.mark([event('job-1')], 100);
    expect(next).toHaveBeenCalledWith(event('job-1'));
    expect(backend.readNow('job-1')).toEqual(event('job-1'));
    subscription.unsubscribe();
  });

  it('holds one entry per watched id, released when the last watcher of the id leaves', () => {
    const { backend } = virtual();
    const subscriptions: Subscription[] = [
      backend.watch('job-1').subscribe(),
      backend.watch('job-1').subscribe(),
      backend.watch('job-2').subscribe(),
    ];
    expect(backend.watchedIds).toBe(2);
    subscriptions[0]?.unsubscribe();
    expect(backend.watchedIds).toBe(2);
    subscriptions[1]?.unsubscribe();
    expect(backend.watchedIds).toBe(1);
    subscriptions[2]?.unsubscribe();
    expect(backend.watchedIds).toBe(0);
  });

  it('delivers one mark to every watcher of the id', async () => {
    const { backend } = virtual();
    const first = vi.fn();
    const second = vi.fn();
    const a = backend.watch('job-1').subscribe(first);
    const b = backend.watch('job-1').subscribe(second);
    await backend.mark([event('job-1')], 100);
    expect(first).toHaveBeenCalledOnce();
    expect(second).toHaveBeenCalledOnce();
    a.unsubscribe();
    b.unsubscribe();
  });

  it('lets a watcher leave while a mark is being delivered', async () => {
    const { backend } = virtual();
    const late = vi.fn();
    const early = backend.watch('job-1').subscribe(() => early.unsubscribe());
    const other = backend.watch('job-1').subscribe(late);
    await backend.mark([event('job-1')], 100);
    expect(late).toHaveBeenCalledOnce();
    other.unsubscribe();
    expect(backend.watchedIds).toBe(0);
  });

  it('a watch that ends while it emits the live mark releases its entry', async () => {
    const { backend } = virtual();
    await backend.mark([event('job-1')], 100);
    const next = vi.fn();
    const subscription = backend.watch('job-1').pipe(take(1)).subscribe(next);
    expect(next).toHaveBeenCalledOnce();
    expect(subscription.closed).toBe(true);
    expect(backend.watchedIds).toBe(0);
  });
});

describe('MemoryBackend close', () => {
  it('errors every watcher with BackendClosedError and forgets every mark', async () => {
    const { backend } = virtual();
    await backend.mark([event('job-1')], 100);
    const errors: unknown[] = [];
    backend.watch('job-2').subscribe({ error: (error) => errors.push(error) });
    backend.watch('job-3').subscribe({ error: (error) => errors.push(error) });
    await backend.close();
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(BackendClosedError);
    expect(backend.watchedIds).toBe(0);
    expect(backend.size).toBe(0);
  });

  it('rejects mark and read, and errors new watches, once closed; close is idempotent', async () => {
    const { backend } = virtual();
    await backend.close();
    await expect(backend.close()).resolves.toBeUndefined();
    await expect(backend.mark([event('job-1')], 100)).rejects.toBeInstanceOf(BackendClosedError);
    await expect(backend.read('job-1')).rejects.toBeInstanceOf(BackendClosedError);
    const error = vi.fn();
    backend.watch('job-1').subscribe({ error });
    expect(error).toHaveBeenCalledWith(expect.any(BackendClosedError));
    expect(backend.watchedIds).toBe(0);
  });
});

describe('MemoryBackend keeps nothing alive', () => {
  it('creates no timers, however many marks and watches it holds', async () => {
    const before = activeTimers();
    const backend = new MemoryBackend();
    const subscriptions = Array.from({ length: 10 }, (_, index) => backend.watch(`job-${index}`).subscribe());
    await backend.mark(
      Array.from({ length: 2_000 }, (_, index) => event(`job-${index}`)),
      60_000,
    );
    expect(activeTimers()).toBe(before);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await backend.close();
    expect(activeTimers()).toBe(before);
  });
});
