import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Observable, Subject, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Abort,
  Abortable,
  type AbortEvent,
  type AbortOutcome,
  BackendClosedError,
  type EventBackend,
} from '../../src/index.js';

/** What a backend under test provides to {@link describeBackendConformance}. */
export interface BackendFixture {
  /** A fresh backend, ready to use. */
  readonly backend: EventBackend;
  /** Releases everything the fixture holds; called after every test, also after the test closed the backend. */
  cleanup(): Promise<void>;
  /**
   * How many ids the backend holds a watch for right now (on Redis, the keyspace channels with a subscriber:
   * `PUBSUB NUMSUB`). When given, the suite uses it to know a watch is established and to prove that every
   * watch is released.
   */
  watchers?(): Promise<number>;
}

/** How long to wait for something that must happen. Generous: the suite never asserts on speed. */
const EVENTUALLY = { timeout: 5_000, interval: 5 } as const;
/** How long to listen for something that must not happen. */
const QUIET_MS = 100;
/** A short mark lifetime for the expiry test, and how long to wait for it to pass. */
const SHORT_TTL = 50;
const PAST_SHORT_TTL = 250;

interface Recording<T = AbortEvent> {
  readonly events: T[];
  readonly errors: unknown[];
  readonly completed: { value: boolean };
  readonly subscription: Subscription;
}

const record = <T = AbortEvent>(observable: Observable<T>): Recording<T> => {
  const events: T[] = [];
  const errors: unknown[] = [];
  const completed = { value: false };
  const subscription = observable.subscribe({
    next: (event) => events.push(event),
    error: (error: unknown) => errors.push(error),
    complete: () => {
      completed.value = true;
    },
  });
  return { events, errors, completed, subscription };
};

/**
 * Registers the EventBackend conformance tests: the behaviour every backend must share, so the memory
 * backend behaves like Redis. Real time, no TestScheduler (backends may be asynchronous); the only waits are
 * for things that must happen (bounded generously) or a short quiet period for things that must not.
 *
 * @param name - shown in the test names.
 * @param setup - called before every test; its `cleanup` after every test.
 */
export function describeBackendConformance(name: string, setup: () => Promise<BackendFixture>): void {
  describe(`EventBackend conformance: ${name}`, () => {
    let fixture: BackendFixture | undefined;
    let backend: EventBackend;
    /** A unique id per test and name, so tests never see each other's marks on a shared server. */
    let id: (name: string) => string;

    beforeEach(async () => {
      fixture = await setup();
      backend = fixture.backend;
      const run = randomUUID().slice(0, 8);
      id = (name) => `conformance:${run}:${name}`;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    const event = (eventId: string, overrides: Partial<AbortEvent> = {}): AbortEvent => ({
      id: eventId,
      mode: 'abort',
      abortTimeout: 0,
      at: Date.now(),
      ...overrides,
    });

    /** Waits until the backend holds a watch for `count` ids (or a short while, without `watchers`). */
    const established = async (count: number): Promise<void> => {
      const watchers = fixture?.watchers;
      if (watchers === undefined) {
        await sleep(QUIET_MS);
        return;
      }
      await vi.waitFor(async () => {
        expect(await watchers()).toBeGreaterThanOrEqual(count);
      }, EVENTUALLY);
    };

    /** Proves that no watch is left, when the fixture can tell. */
    const released = async (): Promise<void> => {
      const watchers = fixture?.watchers;
      if (watchers === undefined) return;
      await vi.waitFor(async () => {
        expect(await watchers()).toBe(0);
      }, EVENTUALLY);
    };

    const receives = async <T>(recording: Recording<T>, expected: T): Promise<void> => {
      await vi.waitFor(() => expect(recording.events.length).toBeGreaterThan(0), EVENTUALLY);
      // A write may be delivered more than once (the contract allows re-reads); every delivery is the mark.
      for (const received of recording.events) expect(received).toEqual(expected);
      expect(recording.errors).toEqual([]);
    };

    describe('read', () => {
      it('returns the mark written, field for field', async () => {
        const written = event(id('job'), { reason: 'stop ✋ "now"\tplease', abortTimeout: 1_500 });
        await backend.mark([written], 60_000);
        expect(await backend.read(written.id)).toEqual(written);
      });

      it('returns null for an id that was never marked', async () => {
        expect(await backend.read(id('unknown'))).toBeNull();
      });

      it('returns the latest mark: a new mark replaces the older one (cancel, then abort)', async () => {
        const cancel = event(id('job'), { mode: 'cancel' });
        const abort = event(cancel.id, { reason: 'second' });
        await backend.mark([cancel], 60_000);
        expect(await backend.read(cancel.id)).toEqual(cancel);
        await backend.mark([abort], 60_000);
        expect(await backend.read(cancel.id)).toEqual(abort);
      });

      it('one mark call writes every id it is given', async () => {
        const written = ['a', 'b', 'c'].map((name, index) => event(id(name), { abortTimeout: index }));
        await backend.mark(written, 60_000);
        for (const mark of written) expect(await backend.read(mark.id)).toEqual(mark);
        expect(await backend.read(id('d'))).toBeNull();
      });
    });

    describe('watch', () => {
      it('emits a mark written after the watch is established, and does not complete', async () => {
        const written = event(id('job'));
        const recording = record(backend.watch(written.id));
        await established(1);
        expect(recording.events).toEqual([]);
        await backend.mark([written], 60_000);
        await receives(recording, written);
        expect(recording.completed.value).toBe(false);
        recording.subscription.unsubscribe();
        await released();
      });

      it('emits a mark written before the subscription', async () => {
        const written = event(id('job'), { reason: 'early' });
        await backend.mark([written], 60_000);
        const recording = record(backend.watch(written.id));
        await receives(recording, written);
        recording.subscription.unsubscribe();
        await released();
      });

      it('does not miss a mark written while the watch is being established', async () => {
        const written = event(id('job'));
        const recording = record(backend.watch(written.id));
        await backend.mark([written], 60_000);
        await receives(recording, written);
        recording.subscription.unsubscribe();
        await released();
      });

      it('emits every id of one mark call to the watcher of that id', async () => {
        const written = ['a', 'b'].map((name) => event(id(name)));
        const recordings = written.map((mark) => record(backend.watch(mark.id)));
        await established(2);
        await backend.mark(written, 60_000);
        for (const [index, recording] of recordings.entries()) await receives(recording, written[index]!);
        for (const recording of recordings) recording.subscription.unsubscribe();
        await released();
      });

      it('emits the replacing mark to a watcher (cancel, then abort)', async () => {
        const cancel = event(id('job'), { mode: 'cancel' });
        const abort = event(cancel.id, { reason: 'second' });
        const recording = record(backend.watch(cancel.id));
        await established(1);
        await backend.mark([cancel], 60_000);
        await backend.mark([abort], 60_000);
        await vi.waitFor(() => expect(recording.events.at(-1)).toEqual(abort), EVENTUALLY);
        for (const received of recording.events) expect([cancel, abort]).toContainEqual(received);
        recording.subscription.unsubscribe();
        await released();
      });

      it('gives a mark to each of two watchers of one id, and releases the watch when both leave', async () => {
        const written = event(id('job'));
        const first = record(backend.watch(written.id));
        const second = record(backend.watch(written.id));
        await established(1);
        if (fixture?.watchers) expect(await fixture.watchers()).toBe(1);
        await backend.mark([written], 60_000);
        await receives(first, written);
        await receives(second, written);
        first.subscription.unsubscribe();
        if (fixture?.watchers) {
          await sleep(QUIET_MS);
          expect(await fixture.watchers()).toBe(1); // the second watcher still holds it
        }
        const third = record(backend.watch(written.id));
        await receives(third, written); // still served after one watcher left
        second.subscription.unsubscribe();
        third.subscription.unsubscribe();
        await released();
      });

      it('releases the watch when its only watcher unsubscribes', async () => {
        const recording = record(backend.watch(id('job')));
        await established(1);
        recording.subscription.unsubscribe();
        await released();
      });

      it('never matches another id: glob characters and unicode are literal', async () => {
        const names = [
          'abc',
          'a*',
          'a?c',
          '?bc',
          '*',
          '[ab]bc',
          'a[b]c',
          'a[^x]c',
          'a\\bc',
          'äbc',
          'a✓c',
          'ab',
          'abcd',
        ];
        const recordings = new Map(names.map((name) => [name, record(backend.watch(id(name)))]));
        await established(names.length);
        const pending = new Set(names);
        for (const name of names) {
          const written = event(id(name));
          await backend.mark([written], 60_000);
          pending.delete(name);
          await receives(recordings.get(name)!, written);
          if (name === 'abc') await sleep(QUIET_MS); // 'abc' first: every other id is a pattern matching it
          for (const other of pending) {
            expect(recordings.get(other)?.events, `${other} fired when ${name} was aborted`).toEqual([]);
          }
        }
        await sleep(QUIET_MS);
        for (const [name, recording] of recordings) {
          for (const received of recording.events) expect(received.id).toBe(id(name));
          recording.subscription.unsubscribe();
        }
        await released();
      });
    });

    describe('expiry', () => {
      it('a mark that has expired is neither read nor emitted', async () => {
        const written = event(id('job'));
        await backend.mark([written], SHORT_TTL);
        await sleep(PAST_SHORT_TTL);
        expect(await backend.read(written.id)).toBeNull();
        const recording = record(backend.watch(written.id));
        await established(1);
        await sleep(QUIET_MS);
        expect(recording.events).toEqual([]);
        expect(recording.errors).toEqual([]);
        recording.subscription.unsubscribe();
        await released();
      });
    });

    describe('outcomes', () => {
      const outcome = (outcomeId: string, overrides: Partial<AbortOutcome> = {}): AbortOutcome => ({
        id: outcomeId,
        outcome: 'stopped',
        at: Date.now(),
        workerId: 'worker-1',
        ...overrides,
      });
      /** The backend's outcome methods (every backend of this suite carries outcomes). */
      const outcomes = () => {
        const { reportOutcome, readOutcome, watchOutcome } = backend;
        if (reportOutcome === undefined || readOutcome === undefined || watchOutcome === undefined) {
          throw new Error(`the ${name} backend does not carry outcomes`);
        }
        return {
          report: (reported: AbortOutcome, ttl: number) => reportOutcome.call(backend, reported, ttl),
          read: (outcomeId: string) => readOutcome.call(backend, outcomeId),
          watch: (outcomeId: string) => watchOutcome.call(backend, outcomeId),
        };
      };

      it('reads the outcome reported, field for field, and null for an id without one', async () => {
        const reported = outcome(id('job'), { outcome: 'finished', workerId: 'host-1-2 ✓' });
        await outcomes().report(reported, 60_000);
        expect(await outcomes().read(reported.id)).toEqual(reported);
        const bare = outcome(id('bare'), { outcome: 'skipped' });
        const { workerId: _workerId, ...withoutWorker } = bare;
        await outcomes().report(withoutWorker, 60_000);
        expect(await outcomes().read(bare.id)).toEqual(withoutWorker);
        expect(await outcomes().read(id('unknown'))).toBeNull();
      });

      it('keeps outcomes apart from marks: neither is read or watched as the other', async () => {
        const jobId = id('job');
        const marks = record(backend.watch(jobId));
        await established(1);
        await outcomes().report(outcome(jobId), 60_000);
        expect(await backend.read(jobId)).toBeNull();
        await backend.mark([event(id('marked'))], 60_000);
        expect(await outcomes().read(id('marked'))).toBeNull();
        const watched = record(outcomes().watch(id('marked')));
        await sleep(QUIET_MS);
        expect(marks.events).toEqual([]);
        expect(watched.events).toEqual([]);
        marks.subscription.unsubscribe();
        watched.subscription.unsubscribe();
        await released();
      });

      it('a later outcome replaces the earlier one', async () => {
        const first = outcome(id('job'), { outcome: 'skipped', at: 1 });
        const second = outcome(first.id, { outcome: 'stopped', at: 2 });
        await outcomes().report(first, 60_000);
        await outcomes().report(second, 60_000);
        expect(await outcomes().read(first.id)).toEqual(second);
      });

      it('watch emits an outcome reported after it is established, and does not complete', async () => {
        const reported = outcome(id('job'));
        const recording = record(outcomes().watch(reported.id));
        await established(1);
        expect(recording.events).toEqual([]);
        await outcomes().report(reported, 60_000);
        await receives(recording, reported);
        expect(recording.completed.value).toBe(false);
        recording.subscription.unsubscribe();
        await released();
      });

      it('watch emits an outcome reported before the subscription, or while it is established', async () => {
        const before = outcome(id('before'));
        await outcomes().report(before, 60_000);
        const early = record(outcomes().watch(before.id));
        const during = outcome(id('during'));
        const racing = record(outcomes().watch(during.id));
        await outcomes().report(during, 60_000);
        await receives(early, before);
        await receives(racing, during);
        early.subscription.unsubscribe();
        racing.subscription.unsubscribe();
        await released();
      });

      it('an outcome that has expired is neither read nor emitted', async () => {
        const reported = outcome(id('job'));
        await outcomes().report(reported, SHORT_TTL);
        await sleep(PAST_SHORT_TTL);
        expect(await outcomes().read(reported.id)).toBeNull();
        const recording = record(outcomes().watch(reported.id));
        await established(1);
        await sleep(QUIET_MS);
        expect(recording.events).toEqual([]);
        expect(recording.errors).toEqual([]);
        recording.subscription.unsubscribe();
        await released();
      });

      it('close errors outcome watches and later outcome calls with BackendClosedError', async () => {
        const recording = record(outcomes().watch(id('job')));
        await established(1);
        await backend.close();
        await vi.waitFor(() => expect(recording.errors).toHaveLength(1), EVENTUALLY);
        expect(recording.errors[0]).toBeInstanceOf(BackendClosedError);
        await expect(outcomes().read(id('job'))).rejects.toBeInstanceOf(BackendClosedError);
        await expect(outcomes().report(outcome(id('job')), 60_000)).rejects.toBeInstanceOf(
          BackendClosedError,
        );
      });
    });

    describe('close', () => {
      it('errors open watches, and later calls, with BackendClosedError', async () => {
        const recording = record(backend.watch(id('job')));
        await established(1);
        await backend.close();
        await vi.waitFor(() => expect(recording.errors).toHaveLength(1), EVENTUALLY);
        expect(recording.errors[0]).toBeInstanceOf(BackendClosedError);
        await expect(backend.read(id('job'))).rejects.toBeInstanceOf(BackendClosedError);
        await expect(backend.mark([event(id('job'))], 60_000)).rejects.toBeInstanceOf(BackendClosedError);
        const late = record(backend.watch(id('late')));
        await vi.waitFor(() => expect(late.errors).toHaveLength(1), EVENTUALLY);
        expect(late.errors[0]).toBeInstanceOf(BackendClosedError);
      });
    });

    describe('with an Abortable on top', () => {
      let abortable: Abortable;
      beforeEach(() => {
        abortable = new Abortable({ backend });
      });

      it("abort$ ignores a 'cancel' and emits the 'abort' that follows, then completes", async () => {
        const jobId = id('job');
        const recording = record(abortable.abort$(jobId));
        await established(1);
        await abortable.abort(jobId, { mode: 'cancel' });
        expect(await abortable.aborted(jobId)).toMatchObject({ id: jobId, mode: 'cancel' });
        await sleep(QUIET_MS);
        expect(recording.events).toEqual([]);
        await abortable.abort(jobId, { reason: 'now' });
        await vi.waitFor(() => expect(recording.completed.value).toBe(true), EVENTUALLY);
        expect(recording.events).toEqual([
          expect.objectContaining({ id: jobId, mode: 'abort', reason: 'now' }),
        ]);
        await released();
      });

      it('aborted() sees both modes, and null for an id never aborted', async () => {
        await abortable.abort(id('cancelled'), { mode: 'cancel', reason: 'queued too long' });
        await abortable.abort([id('aborted-1'), id('aborted-2')], { abortTimeout: 2_000 });
        expect(await abortable.aborted(id('cancelled'))).toMatchObject({
          mode: 'cancel',
          reason: 'queued too long',
        });
        expect(await abortable.aborted(id('aborted-1'))).toMatchObject({
          mode: 'abort',
          abortTimeout: 2_000,
        });
        expect(await abortable.aborted(id('aborted-2'))).toMatchObject({
          mode: 'abort',
          abortTimeout: 2_000,
        });
        expect(await abortable.aborted(id('never'))).toBeNull();
      });

      it('abortSignal aborts with an Abort reason and releases its watch', async () => {
        const jobId = id('job');
        const signal = abortable.abortSignal(jobId);
        await established(1);
        expect(signal.aborted).toBe(false);
        await abortable.abort(jobId, { reason: 'user' });
        await vi.waitFor(() => expect(signal.aborted).toBe(true), EVENTUALLY);
        expect(signal.reason).toBeInstanceOf(Abort);
        expect(signal.reason).toMatchObject({ id: jobId, mode: 'abort', reason: 'user' });
        await released();
      });

      it('abortSignal released before any abort holds no watch', async () => {
        const signal = abortable.abortSignal(id('job'));
        await established(1);
        signal.release();
        await released();
        expect(signal.aborted).toBe(false);
      });

      it('takeUntilAborted stops a pipeline and releases its source and watch', async () => {
        const jobId = id('job');
        const source = new Subject<number>();
        const values: number[] = [];
        const completed = { value: false };
        source.pipe(abortable.takeUntilAborted(jobId)).subscribe({
          next: (value) => values.push(value),
          complete: () => {
            completed.value = true;
          },
        });
        await established(1);
        source.next(1);
        await abortable.abort(jobId);
        await vi.waitFor(() => expect(completed.value).toBe(true), EVENTUALLY);
        source.next(2);
        expect(values).toEqual([1]);
        expect(source.observed).toBe(false);
        await released();
      });

      /** A stand-in worker: when `jobId` is aborted, reports `outcome` for it. */
      const actOnAbort = (jobId: string, kind: AbortOutcome['outcome']): Subscription =>
        abortable.abort$(jobId).subscribe((abort) => {
          void abortable.reportOutcome({ id: abort.id, outcome: kind, workerId: 'stand-in' });
        });

      it('outcome$ emits the outcome reported for an abort, then completes and releases its watch', async () => {
        const jobId = id('job');
        const recording = record(abortable.outcome$(jobId));
        const worker = actOnAbort(jobId, 'stopped');
        await established(2);
        await abortable.abort(jobId);
        await vi.waitFor(() => expect(recording.completed.value).toBe(true), EVENTUALLY);
        expect(recording.events).toEqual([
          { id: jobId, outcome: 'stopped', at: expect.any(Number), workerId: 'stand-in' },
        ]);
        worker.unsubscribe();
        await released();
        expect(await abortable.outcome(jobId)).toMatchObject({ id: jobId, outcome: 'stopped' });
      });

      it('outcome$ emits an outcome reported before the subscription', async () => {
        const jobId = id('job');
        await abortable.reportOutcome({ id: jobId, outcome: 'skipped' });
        const recording = record(abortable.outcome$(jobId));
        await vi.waitFor(() => expect(recording.completed.value).toBe(true), EVENTUALLY);
        expect(recording.events).toEqual([{ id: jobId, outcome: 'skipped', at: expect.any(Number) }]);
        await released();
      });

      it('abortAndWait resolves with the outcome of each id in order, then holds nothing', async () => {
        const [a, b] = [id('a'), id('b')];
        const workers = [actOnAbort(a, 'stopped'), actOnAbort(b, 'skipped')];
        await established(2);
        const outcomes = await abortable.abortAndWait([b, a, b], { timeout: 5_000, reason: 'test' });
        expect(outcomes.map((outcome) => [outcome?.id, outcome?.outcome])).toEqual([
          [b, 'skipped'],
          [a, 'stopped'],
          [b, 'skipped'],
        ]);
        expect(await abortable.aborted(a)).toMatchObject({ mode: 'abort', reason: 'test' });
        for (const worker of workers) worker.unsubscribe();
        await released();
      });

      it('abortAndWait resolves null for an id no worker acted on within timeout, and releases its watch', async () => {
        const [acted, ignored] = [id('acted'), id('ignored')];
        const worker = actOnAbort(acted, 'stopped');
        await established(1);
        expect(await abortable.abortAndWait(ignored, { timeout: QUIET_MS })).toBeNull();
        const outcomes = await abortable.abortAndWait([acted, ignored], { timeout: 500 });
        expect(outcomes[0]).toMatchObject({ id: acted, outcome: 'stopped' });
        expect(outcomes[1]).toBeNull();
        expect(await abortable.aborted(ignored)).toMatchObject({ mode: 'abort' });
        worker.unsubscribe();
        await released();
      });
    });
  });
}
