import { NEVER, type Observable, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { runTask, type TaskOutcome } from '../../src/actors/runTask.js';
import {
  Abort,
  type AbortEvent,
  type AbortRequest,
  type Message,
  WorkerStoppedError,
} from '../../src/index.js';

const message: Message = {
  messageId: 'm1',
  actorName: 'work',
  queueName: 'default',
  args: [],
  options: {},
  enqueuedAt: 0,
  retries: 0,
};
const event = (abortTimeout = 0): AbortEvent => ({ id: 'm1', mode: 'abort', abortTimeout, at: 0 });

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('runTask (marbles)', () => {
  it('a task that completes succeeds with its last value; the abort watch is released', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a--b--|');
      const abort$ = hot<AbortEvent>(' ----------');
      const outcome$ = runTask({ message, task: () => task, abort$, stop$: NEVER, scheduler });
      expectObservable(outcome$).toBe('--------(o|)', {
        o: { type: 'succeeded', result: 'b', abortRequest: undefined },
      });
      expectSubscriptions(task.subscriptions).toBe('^-------!');
      expectSubscriptions(abort$.subscriptions).toBe('^-------!');
    });
  });

  it('an abort stops the task at once: signal aborted with Abort, task unsubscribed', () => {
    const scheduler = newScheduler();
    let signal: AbortSignal | undefined;
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a--b--c--|');
      const abort$ = hot(' -----A-----', { A: event() });
      const outcome$ = runTask({
        message,
        task: (context) => {
          signal = context.signal;
          return task;
        },
        abort$,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(outcome$).toBe('-----(o|)', {
        o: { type: 'aborted', event: event(), started: true, graceful: false },
      });
      expectSubscriptions(task.subscriptions).toBe('^----!');
      expectSubscriptions(abort$.subscriptions).toBe('^----!');
    });
    expect(signal?.reason).toBeInstanceOf(Abort);
  });

  it('an abort delivered on subscription (a mark already there) stops it before the handler is called', () => {
    const scheduler = newScheduler();
    let calls = 0;
    scheduler.run(({ cold, expectObservable }) => {
      const abort$ = of(event(5)); // synchronous, like MemoryBackend's watch of a live mark
      const outcome$ = runTask({
        message,
        task: () => {
          calls++;
          return cold('--|');
        },
        abort$,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(outcome$).toBe('(o|)', {
        o: { type: 'aborted', event: event(5), started: false, graceful: false },
      });
    });
    expect(calls).toBe(0);
  });

  it('a graceful abort tells the task, which may finish by itself', () => {
    const scheduler = newScheduler();
    const requests: AbortRequest[] = [];
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a-------b|');
      const abort$ = hot(' ----G-------', { G: event(10) });
      const outcome$ = runTask({
        message,
        task: (context) => {
          context.abortRequested$.subscribe((request) => requests.push(request));
          return task;
        },
        abort$,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(outcome$).toBe('-----------(o|)', {
        o: {
          type: 'succeeded',
          result: 'b',
          abortRequest: { event: event(10), deadline: 14, timeLeft: 10 },
        },
      });
      expectSubscriptions(task.subscriptions).toBe('^----------!');
    });
    expect(requests).toEqual([{ event: event(10), deadline: 14, timeLeft: 10 }]);
  });

  it('a graceful abort stops the task hard at the deadline', () => {
    const scheduler = newScheduler();
    const left: (number | null)[] = [];
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a---------------|');
      const abort$ = hot(' ----G', { G: event(6) });
      const outcome$ = runTask({
        message,
        task: (context) => {
          scheduler.schedule(() => left.push(context.abortRequested()), 2);
          scheduler.schedule(() => left.push(context.abortRequested()), 7);
          return task;
        },
        abort$,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(outcome$).toBe('----------(o|)', {
        o: { type: 'aborted', event: event(6), started: true, graceful: true },
      });
      expectSubscriptions(task.subscriptions).toBe('^---------!');
    });
    expect(left).toEqual([null, 3]);
  });

  it('the stop notifier (worker stop timeout) stops the task with a WorkerStoppedError', () => {
    const scheduler = newScheduler();
    let signal: AbortSignal | undefined;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a--------|');
      const stop$ = cold(' ---s');
      const outcome$ = runTask({
        message,
        task: (context) => {
          signal = context.signal;
          return task;
        },
        abort$: NEVER,
        stop$,
        scheduler,
      });
      expectObservable(outcome$).toBe('---(o|)', { o: { type: 'stopped', started: true } });
      expectSubscriptions(task.subscriptions).toBe('^--!');
    });
    expect(signal?.reason).toBeInstanceOf(WorkerStoppedError);
  });

  it('a failing task fails; a task erroring with an Abort counts as aborted', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const failing = runTask({
        message,
        task: () => cold('--#', undefined, 'boom'),
        abort$: NEVER,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(failing).toBe('--(o|)', {
        o: { type: 'failed', error: 'boom', abortRequest: undefined },
      });
      const abort = new Abort(event());
      const aborting = runTask({
        message,
        task: () => throwError(() => abort),
        abort$: NEVER,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(aborting).toBe('(o|)', {
        o: { type: 'aborted', event: event(), started: true, graceful: false },
      });
    });
  });

  it('a watch that errors stops the task as a failure', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a------|');
      const abort$ = hot(' ---#', undefined, 'backend closed') as Observable<AbortEvent>;
      const outcome$ = runTask({ message, task: () => task, abort$, stop$: NEVER, scheduler });
      expectObservable(outcome$).toBe('---(o|)', {
        o: { type: 'failed', error: 'backend closed', abortRequest: undefined },
      });
      expectSubscriptions(task.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribing from outside tears everything down and aborts the signal', () => {
    const scheduler = newScheduler();
    let signal: AbortSignal | undefined;
    let completed = false;
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('  --a------|');
      const abort$ = hot<AbortEvent>(' ---------');
      const outcome$ = runTask({
        message,
        task: (context) => {
          signal = context.signal;
          context.abortRequested$.subscribe({ complete: () => (completed = true) });
          return task;
        },
        abort$,
        stop$: NEVER,
        scheduler,
      });
      expectObservable(outcome$, '^---!').toBe('-----');
      expectSubscriptions(task.subscriptions).toBe('^---!');
      expectSubscriptions(abort$.subscriptions).toBe('^---!');
    });
    expect(signal?.reason).toBeInstanceOf(WorkerStoppedError);
    expect(completed).toBe(true);
  });

  it('emits exactly one outcome', () => {
    const scheduler = newScheduler();
    const outcomes: TaskOutcome[] = [];
    scheduler.run(({ cold, hot }) => {
      const abort$ = hot('--A', { A: event() });
      runTask({ message, task: () => cold('--|'), abort$, stop$: cold('--s'), scheduler }).subscribe(
        (outcome) => outcomes.push(outcome),
      );
    });
    expect(outcomes).toHaveLength(1);
  });
});
