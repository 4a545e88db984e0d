import { defer, Observable, ReplaySubject, type SchedulerLike, type Subscription, take, timer } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';
import { Abort } from '../core/errors/Abort.js';
import { WorkerStoppedError } from './errors/WorkerStoppedError.js';
import type { Message } from './Message.js';
import type { AbortRequest, TaskContext } from './TaskContext.js';

/** How one attempt at a task ended, as decided by {@link runTask}. */
export type TaskOutcome =
  | {
      readonly type: 'succeeded';
      /** The last value the task emitted (its result), or `undefined`. */
      readonly result: unknown;
      /** The graceful abort that was requested while it ran, if any. */
      readonly abortRequest: AbortRequest | undefined;
    }
  | {
      readonly type: 'failed';
      readonly error: unknown;
      /** The graceful abort that was requested while it ran, if any (then it is not retried). */
      readonly abortRequest: AbortRequest | undefined;
    }
  | {
      readonly type: 'aborted';
      /** The abort that stopped it. */
      readonly event: AbortEvent;
      /** Whether the handler had been called. */
      readonly started: boolean;
      /** Whether it was a graceful abort stopped at its deadline. */
      readonly graceful: boolean;
    }
  | {
      readonly type: 'stopped';
      /** Whether the handler had been called. */
      readonly started: boolean;
    };

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /** The message being run. */
  readonly message: Message;
  /** Builds the task's pipeline from its context (the handler, wrapped by middleware). */
  readonly task: (context: TaskContext) => Observable<unknown>;
  /** The abort stream of the message (mode `'abort'` only); `NEVER` when it is not abortable. */
  readonly abort$: Observable<AbortEvent>;
  /** Emits when the worker stops the task hard (stop timeout). */
  readonly stop$: Observable<unknown>;
  /** The clock of graceful-abort deadlines. */
  readonly scheduler: SchedulerLike;
  /** Called right before the handler is called. */
  readonly onStart?: () => void;
}

/**
 * Runs one attempt at a task and emits its {@link TaskOutcome}, then completes. Pure RxJS (no promises),
 * so marble tests drive it.
 *
 * The abort stream and the stop notifier are subscribed before the task, like `takeUntil`: an abort already
 * delivered on subscription (the backend's watch re-reads the mark once established) stops the task before
 * its handler is called. An abort with `abortTimeout = 0` stops it at once: the context's `signal` aborts
 * with an {@link Abort}, then the pipeline is unsubscribed (its teardown runs). With `abortTimeout > 0`,
 * `abortRequested$` emits first, and the hard stop comes after `abortTimeout` unless the task ends first.
 *
 * ```text
 * task:     --a--b--c--d--|
 * abort$:   -----A                  (abortTimeout 0)
 * outcome:  -----(o|)               o = aborted; the task is unsubscribed at A
 *
 * abort$:   -----G                  (abortTimeout 4 frames)
 * outcome:  ---------(o|)           o = aborted (graceful), unless the task completes first
 * ```
 */
export function runTask(options: RunTaskOptions): Observable<TaskOutcome> {
  const { message, scheduler } = options;
  return new Observable<TaskOutcome>((subscriber) => {
    const controller = new AbortController();
    const requests = new ReplaySubject<AbortRequest>(1);
    const watches: Subscription[] = [];
    let request: AbortRequest | undefined;
    let started = false;
    let task: Subscription | undefined;
    const context: TaskContext = {
      messageId: message.messageId,
      message,
      signal: controller.signal,
      abortRequested$: requests.asObservable(),
      abortRequested: () => (request === undefined ? null : Math.max(0, request.deadline - scheduler.now())),
    };
    const finish = (outcome: TaskOutcome): void => {
      if (subscriber.closed) return;
      subscriber.next(outcome);
      subscriber.complete();
    };
    const stopHard = (outcome: TaskOutcome, reason: unknown): void => {
      if (subscriber.closed) return;
      controller.abort(reason);
      task?.unsubscribe();
      finish(outcome);
    };
    const onAbort = (event: AbortEvent): void => {
      if (event.abortTimeout === 0 || !started) {
        stopHard({ type: 'aborted', event, started, graceful: false }, new Abort(event));
        return;
      }
      request = { event, deadline: scheduler.now() + event.abortTimeout, timeLeft: event.abortTimeout };
      requests.next(request);
      watches.push(
        timer(event.abortTimeout, scheduler).subscribe(() =>
          stopHard({ type: 'aborted', event, started, graceful: true }, new Abort(event)),
        ),
      );
    };

    watches.push(
      options.stop$
        .pipe(take(1))
        .subscribe(() => stopHard({ type: 'stopped', started }, new WorkerStoppedError())),
    );
    if (!subscriber.closed) {
      watches.push(
        options.abort$.pipe(take(1)).subscribe({
          next: onAbort,
          // The task can no longer be watched (backend closed or misconfigured): stop it as a failure
          // rather than let it run unwatched.
          error: (error: unknown) => stopHard({ type: 'failed', error, abortRequest: request }, error),
        }),
      );
    }
    if (!subscriber.closed) {
      started = true;
      options.onStart?.();
      let result: unknown;
      task = defer(() => options.task(context)).subscribe({
        next: (value) => {
          result = value;
        },
        error: (error: unknown) =>
          finish(
            error instanceof Abort
              ? { type: 'aborted', event: error.event, started, graceful: false }
              : { type: 'failed', error, abortRequest: request },
          ),
        complete: () => finish({ type: 'succeeded', result, abortRequest: request }),
      });
    }
    return () => {
      for (const watch of watches) watch.unsubscribe();
      if (task !== undefined && !task.closed) {
        // Torn down from outside before it ended: the worker's pipeline is going away.
        controller.abort(new WorkerStoppedError());
        task.unsubscribe();
      }
      requests.complete();
    };
  });
}
