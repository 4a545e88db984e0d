/**
 * The program of an isolate (a `worker_threads` thread or a child process): loads actor modules, runs
 * their default export for each `run` message with a real {@link TaskContext}, and reports how each task
 * ended. Started by {@link Isolate}; not exported from the package.
 */
import { parentPort } from 'node:worker_threads';
import { from, isObservable, type Observable, ReplaySubject, type Subscription } from 'rxjs';
import { Abort } from '../../core/errors/Abort.js';
import { WorkerStoppedError } from '../errors/WorkerStoppedError.js';
import { isAsyncIterable, isPromiseLike } from '../handlerOutput.js';
import type { AbortRequest, TaskContext } from '../TaskContext.js';
import { type FromIsolate, type SerializedReason, serializeError, type ToIsolate } from './protocol.js';

type Handler = (...args: unknown[]) => unknown;

interface Running {
  readonly controller: AbortController;
  readonly requests: ReplaySubject<AbortRequest>;
  request: AbortRequest | undefined;
  localDeadline: number;
  subscription: Subscription | undefined;
  /** The handler returned a promise that has not settled: the task ends when it does. */
  pending: boolean;
  aborted: boolean;
}

const port = parentPort;
const post = (message: FromIsolate): void => {
  if (port !== null) port.postMessage(message);
  else process.send?.(message);
};
const modules = new Map<string, Promise<Handler>>();
const tasks = new Map<number, Running>();

const load = (moduleUrl: string): Promise<Handler> => {
  let handler = modules.get(moduleUrl);
  if (handler === undefined) {
    handler = import(moduleUrl).then((module: { default?: unknown }) => {
      if (typeof module.default !== 'function') {
        throw new TypeError(`The module ${moduleUrl} has no default export function (the actor's handler)`);
      }
      return module.default as Handler;
    });
    modules.set(moduleUrl, handler);
  }
  return handler;
};

const reasonError = (reason: SerializedReason): Error =>
  reason.kind === 'abort'
    ? new Abort(reason.event)
    : reason.kind === 'stopped'
      ? new WorkerStoppedError(reason.message)
      : new Error(reason.message);

/** Reports a task's end once: its result, its failure, or (after an abort) only that it ended. */
const settle = (taskId: number, end: { value: unknown } | { error: unknown; loading?: boolean }): void => {
  const task = tasks.get(taskId);
  if (task === undefined) return;
  tasks.delete(taskId);
  task.requests.complete();
  if (task.aborted) {
    post({ type: 'ended', taskId });
  } else if ('value' in end) {
    try {
      post({ type: 'result', taskId, value: end.value });
    } catch (error) {
      post({ type: 'failure', taskId, reason: 'uncloneable-result', error: serializeError(error) });
    }
  } else {
    const reason = end.loading === true ? 'load-failed' : 'threw';
    post({ type: 'failure', taskId, reason, error: serializeError(end.error) });
  }
};

const run = (taskId: number, moduleUrl: string, message: ToIsolate & { type: 'run' }): void => {
  const task: Running = {
    controller: new AbortController(),
    requests: new ReplaySubject<AbortRequest>(1),
    request: undefined,
    localDeadline: 0,
    subscription: undefined,
    pending: false,
    aborted: false,
  };
  tasks.set(taskId, task);
  const context: TaskContext = {
    messageId: message.message.messageId,
    message: message.message,
    signal: task.controller.signal,
    abortRequested$: task.requests.asObservable(),
    abortRequested: () =>
      task.request === undefined ? null : Math.max(0, Math.round(task.localDeadline - performance.now())),
  };
  load(moduleUrl).then(
    (handler) => {
      if (!tasks.has(taskId)) return;
      let output: unknown;
      try {
        output = handler(...message.message.args, context);
      } catch (error) {
        settle(taskId, { error });
        return;
      }
      if (isPromiseLike(output)) {
        task.pending = true;
        output.then(
          (value) => settle(taskId, { value }),
          (error: unknown) => settle(taskId, { error }),
        );
        return;
      }
      if (isObservable(output) || isAsyncIterable(output)) {
        let last: unknown;
        const output$ = isObservable(output) ? output : from(output as AsyncIterable<unknown>);
        task.subscription = (output$ as Observable<unknown>).subscribe({
          next: (value) => {
            last = value;
          },
          error: (error: unknown) => settle(taskId, { error }),
          complete: () => settle(taskId, { value: last }),
        });
        return;
      }
      settle(taskId, { value: output });
    },
    (error: unknown) => settle(taskId, { error, loading: true }),
  );
};

const onMessage = (message: ToIsolate): void => {
  switch (message.type) {
    case 'run':
      run(message.taskId, message.moduleUrl, message);
      return;
    case 'abortRequested': {
      const task = tasks.get(message.taskId);
      if (task === undefined || task.request !== undefined) return;
      task.localDeadline = performance.now() + message.remaining;
      task.request = { event: message.event, deadline: message.deadline, timeLeft: message.timeLeft };
      task.requests.next(task.request);
      return;
    }
    case 'abort': {
      const task = tasks.get(message.taskId);
      if (task === undefined) return;
      task.aborted = true;
      // Like in-process: the signal aborts, then the pipeline is unsubscribed (its teardown runs).
      task.controller.abort(reasonError(message.reason));
      task.subscription?.unsubscribe();
      // A promise cannot be cancelled: the task has ended when it settles (or its isolate is terminated).
      if (!task.pending) settle(message.taskId, { value: undefined });
      return;
    }
  }
};

if (port !== null) {
  port.on('message', onMessage);
} else {
  process.on('message', (message) => onMessage(message as ToIsolate));
  // A child process reports what kills it before it dies (a thread's uncaught error reaches its parent).
  process.on('uncaughtException', (error) => {
    const exit = (): never => process.exit(70);
    try {
      process.send?.({ type: 'crash', error: serializeError(error) } satisfies FromIsolate, exit) ?? exit();
    } catch {
      exit();
    }
  });
  // The worker process is gone: nothing will ever come.
  process.on('disconnect', () => process.exit(0));
}
post({ type: 'ready' });
