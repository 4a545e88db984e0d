import { Observable, type Subscription } from 'rxjs';
import { Abort } from '../../core/errors/Abort.js';
import { WorkerStoppedError } from '../errors/WorkerStoppedError.js';
import type { Message } from '../Message.js';
import type { TaskContext } from '../TaskContext.js';
import { Isolate, type IsolateExit } from './Isolate.js';
import type { IsolationSpec } from './IsolatedActorOptions.js';
import { IsolatedTaskError } from './IsolatedTaskError.js';
import { type FromIsolate, type SerializedError, type SerializedReason, serializeError } from './protocol.js';

type Waiter = { readonly give: (isolate: Isolate) => void; readonly fail: (error: unknown) => void };

/**
 * The isolates of one isolated actor in one worker: at most `size` threads or processes, started when a
 * task needs one and none is idle, reused across tasks, and replaced (lazily, by the next task) when one
 * crashes or is terminated. A task is never given an isolate that has exited or is being terminated, and
 * one that exits while idle leaves the idle list at once. Internal: a {@link Worker} holds one per isolated
 * actor.
 *
 * A task that is unsubscribed before it settled (an abort, a stop) gets `abort` in its isolate (its
 * `signal` aborts there); if it does not settle within the grace (`terminateGrace` for an abort with
 * `abortTimeout = 0`, none for a graceful abort at its deadline or a stop), its isolate is terminated.
 * Until then the isolate counts against `size`.
 */
export class IsolatePool {
  readonly #actorName: string;
  readonly #spec: IsolationSpec;
  readonly #size: number;
  readonly #all = new Set<Isolate>();
  readonly #idle: Isolate[] = [];
  readonly #waiters: Waiter[] = [];
  #closed = false;
  #taskIds = 0;

  /**
   * @param actorName - the actor (for errors and events).
   * @param spec - its isolation settings.
   * @param size - the most isolates at once (the worker's concurrency).
   */
  constructor(actorName: string, spec: IsolationSpec, size: number) {
    this.#actorName = actorName;
    this.#spec = spec;
    this.#size = size;
  }

  /** Isolates alive (idle, running or being drained). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * Runs one task in an isolate: emits the handler's result then completes, or errors with an
   * {@link IsolatedTaskError}. Unsubscribing aborts it (see the class).
   */
  run(message: Message, context: TaskContext): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const taskId = ++this.#taskIds;
      let isolate: Isolate | undefined;
      let settled = false;
      const fail = (reason: IsolatedTaskError['reason'], error: SerializedError): void =>
        subscriber.error(new IsolatedTaskError(reason, this.#actorName, message.messageId, error));
      let requests: Subscription | undefined;
      const onMessage = (reply: FromIsolate): void => {
        if (!('taskId' in reply) || reply.taskId !== taskId || isolate === undefined) return;
        settled = true;
        requests?.unsubscribe();
        this.#release(isolate);
        if (reply.type === 'result') {
          subscriber.next(reply.value);
          subscriber.complete();
        } else if (reply.type === 'failure') {
          fail(reply.reason, reply.error);
        } else {
          subscriber.complete();
        }
      };
      const onExit = (exit: IsolateExit): void => {
        settled = true;
        requests?.unsubscribe();
        fail('crashed', crashError(this.#spec, exit));
      };
      const cancel = this.#acquire({
        give: (given) => {
          isolate = given;
          given.keepAlive(true);
          given.onMessage = onMessage;
          given.onExit = onExit;
          given.post({ type: 'run', taskId, moduleUrl: this.#spec.moduleUrl, message });
          // Replayed: a graceful abort requested while the task waited for an isolate reaches it too.
          requests = context.abortRequested$.subscribe((request) =>
            given.post({
              type: 'abortRequested',
              taskId,
              event: request.event,
              deadline: request.deadline,
              timeLeft: request.timeLeft,
              remaining: context.abortRequested() ?? request.timeLeft,
            }),
          );
        },
        fail: (error) => fail('spawn-failed', serializeError(error)),
      });
      return () => {
        cancel();
        requests?.unsubscribe();
        if (isolate !== undefined && !settled) this.#abandon(isolate, taskId, message, context.signal);
      };
    });
  }

  /** Terminates every isolate and resolves when all have exited; later tasks fail. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new WorkerStoppedError('The worker stopped'));
    await Promise.all([...this.#all].map((isolate) => isolate.terminate()));
  }

  /** The task was unsubscribed before it settled: abort it inside, then terminate unless it ends in time. */
  #abandon(isolate: Isolate, taskId: number, message: Message, signal: AbortSignal): void {
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    isolate.post({ type: 'abort', taskId, reason: serializeReason(reason) });
    // A hard abort gets the grace; a graceful abort has had its time, and a stop its timeout.
    const grace =
      reason instanceof WorkerStoppedError || (reason instanceof Abort && reason.event.abortTimeout > 0)
        ? 0
        : this.#spec.terminateGrace;
    const terminate = (): void => void isolate.terminate(message.messageId);
    if (grace === 0) {
      terminate();
      return;
    }
    const timer = setTimeout(terminate, grace);
    isolate.onMessage = (reply) => {
      if (!('taskId' in reply) || reply.taskId !== taskId) return;
      clearTimeout(timer);
      this.#release(isolate);
    };
    isolate.onExit = () => clearTimeout(timer);
  }

  #acquire(waiter: Waiter): () => void {
    if (this.#closed) {
      waiter.fail(new WorkerStoppedError('The worker stopped'));
      return () => {};
    }
    const idle = this.#takeIdle();
    if (idle !== undefined) {
      waiter.give(idle);
      return () => {};
    }
    if (this.#all.size < this.#size) {
      this.#spawn(waiter);
      return () => {};
    }
    this.#waiters.push(waiter);
    return () => {
      const index = this.#waiters.indexOf(waiter);
      if (index >= 0) this.#waiters.splice(index, 1);
    };
  }

  #spawn(waiter: Waiter): void {
    let isolate: Isolate;
    try {
      isolate = new Isolate(this.#actorName, this.#spec);
    } catch (error) {
      waiter.fail(error);
      return;
    }
    this.#all.add(isolate);
    void isolate.exited.then(() => this.#remove(isolate));
    waiter.give(isolate);
  }

  #release(isolate: Isolate): void {
    isolate.onMessage = () => {};
    isolate.onExit = () => {};
    if (isolate.gone) return;
    if (this.#closed) {
      void isolate.terminate();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.give(isolate);
      return;
    }
    isolate.keepAlive(false);
    // An isolate that exits while idle leaves the list at once: its `exited` (and #remove) can come a turn
    // of the loop later (a process's 'close'), and a task given it then would wait forever (its run message
    // is dropped, and its exit was already reported).
    isolate.onExit = () => this.#dropIdle(isolate);
    this.#idle.push(isolate);
  }

  /** The most recently idle isolate that has not exited or is being terminated, if any. */
  #takeIdle(): Isolate | undefined {
    for (let isolate = this.#idle.pop(); isolate !== undefined; isolate = this.#idle.pop()) {
      if (!isolate.gone) return isolate;
    }
    return undefined;
  }

  #dropIdle(isolate: Isolate): void {
    const index = this.#idle.indexOf(isolate);
    if (index >= 0) this.#idle.splice(index, 1);
  }

  #remove(isolate: Isolate): void {
    this.#all.delete(isolate);
    this.#dropIdle(isolate);
    // The replacement: started for the next task that waits, if any.
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#spawn(waiter);
  }
}

function serializeReason(reason: unknown): SerializedReason {
  if (reason instanceof Abort) return { kind: 'abort', event: reason.event };
  if (reason instanceof WorkerStoppedError) return { kind: 'stopped', message: reason.message };
  return {
    kind: 'other',
    message: reason instanceof Error ? reason.message : 'The task was stopped by its worker',
  };
}

function crashError(spec: IsolationSpec, exit: IsolateExit): SerializedError {
  const how =
    exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
  const what = spec.isolation === 'thread' ? 'thread' : 'child process';
  if (exit.error !== undefined) {
    return { ...exit.error, message: `The ${what} ${how} while running the task: ${exit.error.message}` };
  }
  return {
    name: 'Error',
    message: `The ${what} ${how} while running the task`,
    stack: undefined,
    code: undefined,
  };
}
