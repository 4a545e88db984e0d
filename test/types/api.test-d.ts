import { interval, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  ABORT_MODES,
  ABORT_OUTCOME_KINDS,
  Abort,
  type AbortAndWaitOptions,
  Abortable,
  type AbortableOptions,
  type AbortEvent,
  type AbortMode,
  type AbortOptions,
  type AbortOutcome,
  type AbortOutcomeKind,
  type AbortOutcomeReport,
  type AbortSignalOptions,
  abort,
  abort$,
  aborted,
  abortSignal,
  BackendClosedError,
  type EventBackend,
  getDefaultAbortable,
  MemoryBackend,
  NoAbortableError,
  OutcomeReportError,
  type ReportOutcomeOptions,
  setDefaultAbortable,
  signalFromAbortEvents,
  type TopLevelAbortOptions,
  takeUntilAborted,
  throwOnAbort,
  type WatchedAbortSignal,
} from '../../src/index.js';

const abortable = new Abortable({ backend: new MemoryBackend() });

describe('AbortMode and AbortEvent', () => {
  it('AbortMode is the literal union of the two modes', () => {
    expectTypeOf<AbortMode>().toEqualTypeOf<'abort' | 'cancel'>();
    expectTypeOf(ABORT_MODES).toEqualTypeOf<readonly AbortMode[]>();
  });

  it('AbortEvent has the documented readonly fields', () => {
    expectTypeOf<AbortEvent>().toEqualTypeOf<{
      readonly id: string;
      readonly mode: AbortMode;
      readonly reason?: string;
      readonly abortTimeout: number;
      readonly at: number;
    }>();
  });
});

describe('Abortable', () => {
  it('takes a backend and optional defaults', () => {
    expectTypeOf<AbortableOptions['backend']>().toEqualTypeOf<EventBackend>();
    expectTypeOf(MemoryBackend).instance.toExtend<EventBackend>();
    expectTypeOf(Abortable).toBeConstructibleWith({ backend: new MemoryBackend() });
    expectTypeOf(Abortable).toBeConstructibleWith({
      backend: new MemoryBackend(),
      abortTtl: 1,
      abortable: false,
    });
    // @ts-expect-error a backend is required
    void new Abortable({});
  });

  it('abort returns Promise<void> and takes one id or many', () => {
    expectTypeOf(abortable.abort('job-1')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(abortable.abort).toBeCallableWith(['job-1', 'job-2'] as const, { mode: 'cancel' });
    expectTypeOf(abort('job-1', { abortable })).toEqualTypeOf<Promise<void>>();
  });

  it('abort$ returns Observable<AbortEvent>', () => {
    expectTypeOf(abortable.abort$('job-1')).toEqualTypeOf<Observable<AbortEvent>>();
    expectTypeOf(abort$('job-1', { abortable })).toEqualTypeOf<Observable<AbortEvent>>();
  });

  it('aborted returns Promise<AbortEvent | null>', () => {
    expectTypeOf(abortable.aborted('job-1')).toEqualTypeOf<Promise<AbortEvent | null>>();
    expectTypeOf(aborted('job-1', { abortable })).toEqualTypeOf<Promise<AbortEvent | null>>();
  });

  it('the operators keep the element type', () => {
    expectTypeOf(abortable.takeUntilAborted<number>('job-1')).toEqualTypeOf<
      MonoTypeOperatorFunction<number>
    >();
    expectTypeOf(interval(10).pipe(takeUntilAborted('job-1', { abortable }))).toEqualTypeOf<
      Observable<number>
    >();
    expectTypeOf(interval(10).pipe(throwOnAbort('job-1', { abortable }))).toEqualTypeOf<Observable<number>>();
    expectTypeOf(interval(10).pipe(abortable.throwOnAbort('job-1'))).toEqualTypeOf<Observable<number>>();
  });

  it('close returns Promise<void>', () => {
    expectTypeOf(abortable.close()).toEqualTypeOf<Promise<void>>();
  });
});

describe('abortSignal', () => {
  it('returns a WatchedAbortSignal: an AbortSignal that is Disposable and can be released', () => {
    const signal = abortSignal('job-1', { abortable });
    expectTypeOf(signal).toEqualTypeOf<WatchedAbortSignal>();
    expectTypeOf(signal).toExtend<AbortSignal>();
    expectTypeOf(signal).toExtend<Disposable>();
    expectTypeOf(signal.release).toEqualTypeOf<() => void>();
    expectTypeOf(abortable.abortSignal('job-1')).toEqualTypeOf<WatchedAbortSignal>();
    expectTypeOf(signalFromAbortEvents(abortable.abort$('job-1'))).toEqualTypeOf<WatchedAbortSignal>();
  });

  it('fits wherever an AbortSignal is expected', () => {
    expectTypeOf(fetch).toBeCallableWith('http://127.0.0.1/', { signal: abortable.abortSignal('job-1') });
  });

  it('takes a parent signal', () => {
    expectTypeOf<AbortSignalOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
  });
});

describe('options reject what the API does not accept', () => {
  it('an unknown mode is a compile error', () => {
    // @ts-expect-error 'stop' is not an AbortMode
    const options: AbortOptions = { mode: 'stop' };
    // @ts-expect-error 'stop' is not an AbortMode
    void abortable.abort('job-1', { mode: 'stop' });
    // @ts-expect-error 'kill' is not an AbortMode
    void abort('job-1', { abortable, mode: 'kill' });
    void options;
  });

  it('option fields have their documented types', () => {
    expectTypeOf<AbortOptions>().toEqualTypeOf<{
      mode?: AbortMode;
      abortTtl?: number;
      abortTimeout?: number;
      reason?: string;
    }>();
    expectTypeOf<TopLevelAbortOptions>().toExtend<AbortOptions>();
    expectTypeOf<TopLevelAbortOptions['abortable']>().toEqualTypeOf<Abortable | undefined>();
    // @ts-expect-error abortTtl is a number of milliseconds
    void abortable.abort('job-1', { abortTtl: '90s' });
    // @ts-expect-error unknown options are rejected
    void abortable.abort('job-1', { ttl: 1000 });
    // @ts-expect-error an id is a string
    void abortable.abort(42);
  });
});

describe('errors and the default', () => {
  it('Abort carries the event fields', () => {
    const error = new Abort({ id: 'job-1', mode: 'abort', abortTimeout: 0, at: 0 });
    expectTypeOf(error).toExtend<Error>();
    expectTypeOf(error.id).toEqualTypeOf<string>();
    expectTypeOf(error.mode).toEqualTypeOf<AbortMode>();
    expectTypeOf(error.reason).toEqualTypeOf<string | undefined>();
    expectTypeOf(error.event).toEqualTypeOf<AbortEvent>();
  });

  it('the other errors are Errors', () => {
    expectTypeOf(new BackendClosedError('memory')).toExtend<Error>();
    expectTypeOf(new NoAbortableError()).toExtend<Error>();
  });

  it('the default is an Abortable, a provider of one, or undefined', () => {
    expectTypeOf(setDefaultAbortable).toBeCallableWith(abortable);
    expectTypeOf(setDefaultAbortable).toBeCallableWith(() => abortable);
    expectTypeOf(setDefaultAbortable).toBeCallableWith(() => undefined);
    expectTypeOf(setDefaultAbortable).toBeCallableWith(undefined);
    expectTypeOf(getDefaultAbortable()).toEqualTypeOf<Abortable>();
  });
});

describe('confirmed aborts (outcomes)', () => {
  it('AbortOutcome has the documented readonly fields, and its kind is a literal union', () => {
    expectTypeOf<AbortOutcome>().toEqualTypeOf<{
      readonly id: string;
      readonly outcome: 'skipped' | 'stopped' | 'finished';
      readonly at: number;
      readonly workerId?: string;
    }>();
    expectTypeOf<AbortOutcomeKind>().toEqualTypeOf<'skipped' | 'stopped' | 'finished'>();
    expectTypeOf(ABORT_OUTCOME_KINDS).toEqualTypeOf<readonly AbortOutcomeKind[]>();
  });

  it('outcome$ and outcome', () => {
    expectTypeOf(abortable.outcome$('job-1')).toEqualTypeOf<Observable<AbortOutcome>>();
    expectTypeOf(abortable.outcome('job-1')).toEqualTypeOf<Promise<AbortOutcome | null>>();
  });

  it('abortAndWait: one id resolves one outcome or null, an array resolves an array', () => {
    expectTypeOf(abortable.abortAndWait('job-1')).toEqualTypeOf<Promise<AbortOutcome | null>>();
    expectTypeOf(abortable.abortAndWait(['a', 'b'], { timeout: 1000, mode: 'cancel' })).toEqualTypeOf<
      Promise<Array<AbortOutcome | null>>
    >();
    const ids: string | readonly string[] = Math.random() > 0.5 ? 'a' : ['a'];
    expectTypeOf(abortable.abortAndWait(ids)).toEqualTypeOf<
      Promise<AbortOutcome | null | Array<AbortOutcome | null>>
    >();
    expectTypeOf<AbortAndWaitOptions>().toExtend<AbortOptions>();
    expectTypeOf<AbortAndWaitOptions['timeout']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error timeout is a number of milliseconds
    void abortable.abortAndWait('job-1', { timeout: '10s' });
  });

  it('reportOutcome takes an outcome whose at is optional', () => {
    expectTypeOf(abortable.reportOutcome({ id: 'a', outcome: 'stopped' })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(abortable.reportOutcome).toBeCallableWith(
      { id: 'a', outcome: 'finished', at: 1, workerId: 'w' },
      { ttl: 1000 },
    );
    expectTypeOf<AbortOutcomeReport>().toExtend<{ id: string; outcome: AbortOutcomeKind }>();
    expectTypeOf<ReportOutcomeOptions>().toEqualTypeOf<{ ttl?: number }>();
    // @ts-expect-error 'done' is not an outcome
    void abortable.reportOutcome({ id: 'a', outcome: 'done' });
  });

  it('EventBackend outcome methods are optional; the shipped backends have them', () => {
    expectTypeOf<EventBackend['reportOutcome']>().toEqualTypeOf<
      ((outcome: AbortOutcome, ttl: number) => Promise<void>) | undefined
    >();
    expectTypeOf(new MemoryBackend().watchOutcome).toEqualTypeOf<(id: string) => Observable<AbortOutcome>>();
    expectTypeOf(abortable.hasOutcomes).toEqualTypeOf<boolean>();
    expectTypeOf(new OutcomeReportError('m', 'stopped', null)).toExtend<Error>();
  });
});
