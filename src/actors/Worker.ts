import { hostname } from 'node:os';
import {
  asyncScheduler,
  BehaviorSubject,
  catchError,
  defaultIfEmpty,
  defer,
  EMPTY,
  finalize,
  first,
  firstValueFrom,
  from,
  fromEvent,
  ignoreElements,
  map,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  ReplaySubject,
  race,
  repeat,
  retry,
  type SchedulerLike,
  Subject,
  type Subscription,
  switchMap,
  takeUntil,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';
import type { AbortOutcomeKind } from '../core/AbortOutcome.js';
import { isPermanentError } from '../core/isPermanentError.js';
import { validateMilliseconds, validateOptions } from '../core/validate.js';
import { abortOutcomeOf } from './abortOutcomeOf.js';
import type { Actor } from './actor.js';
import type { Broker, Delivery } from './Broker.js';
import { AbortCheckError } from './errors/AbortCheckError.js';
import { OutcomeReportError } from './errors/OutcomeReportError.js';
import { WorkerStoppedError } from './errors/WorkerStoppedError.js';
import { isAbortable, skipsMessage } from './isAbortable.js';
import { IsolatePools } from './isolation/IsolatePools.js';
import type { Message } from './Message.js';
import type { Middleware } from './Middleware.js';
import { runTask, type TaskOutcome } from './runTask.js';
import { validateConcurrency, validateCount, validateName } from './validate.js';
import type { MessageEventFields, WorkerEvent } from './WorkerEvent.js';

/** Options of {@link Worker}. */
export interface WorkerOptions {
  /**
   * The queues to consume, in order of preference.
   * @default the queues of the actors declared on the broker when `start()` runs
   */
  queues?: readonly string[];
  /**
   * How many tasks run at once. The worker receives only as many messages as it has free slots, so it
   * never holds messages another worker could run.
   * @default 8
   */
  concurrency?: number;
  /**
   * How many times the pre-start abort check (`abortable.aborted(messageId)`) is tried before the message
   * is returned to the queue unrun.
   * @default 3
   */
  abortCheckAttempts?: number;
  /** Milliseconds before the second check attempt; doubles for each further one. @default 200 */
  abortCheckBackoff?: number;
  /** Milliseconds one check attempt may take before it counts as failed. @default 5000 */
  abortCheckTimeout?: number;
  /**
   * The worker's id: its consumer name on Redis, and the `workerId` of its events.
   * @default `${hostname}-${pid}-` and 8 random hex digits
   */
  id?: string;
  /** The clock and timers of graceful aborts, backoffs and the stop timeout (tests pass a TestScheduler). @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** Options of {@link Worker.stop}. */
export interface StopOptions {
  /**
   * Milliseconds running tasks are given to finish; then they are stopped (their `signal` aborts with a
   * {@link WorkerStoppedError}) and their messages are returned to the queue.
   * @default 30_000
   */
  timeout?: number;
}

type Decision =
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly mark: AbortEvent }
  | { readonly kind: 'check-failed'; readonly error: AbortCheckError }
  | { readonly kind: 'check-refused'; readonly error: AbortCheckError }
  | { readonly kind: 'shutdown' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A final event without the fields every message event carries. */
type FinalEventBody = DistributiveOmit<
  Exclude<WorkerEvent, { readonly type: 'received' | 'started' | 'error' }>,
  keyof MessageEventFields
>;

const RUN: Decision = { kind: 'run' };
const SHUTDOWN: Decision = { kind: 'shutdown' };

/**
 * Runs the actors of a broker: receives messages from its queues, runs up to `concurrency` handler
 * pipelines at once, and reports every step on `events$`. The worker is an RxJS pipeline: a receive loop
 * that asks the broker for as many messages as it has free slots, `mergeMap`ped into one task pipeline per
 * message.
 *
 * With the {@link Abortable} middleware on the broker, for each abortable message (see {@link isAbortable}):
 * - before it starts, the worker reads its abort mark (`abortable.aborted(messageId)`): a mark in either
 *   mode skips it (acknowledged, handler never called, `skipped` event), except a `cancel` issued before a
 *   retry was enqueued (it was meant for the running attempt). If the check fails (Redis down), it is
 *   retried `abortCheckAttempts` times with backoff, then the message is returned to the queue unrun: the
 *   worker never runs an abortable task it could not check. A failure that can never heal (see
 *   {@link isPermanentError}: a refused ACL permission or password) is not retried and never loops: the
 *   message is acknowledged unrun with a final `failed` event whose `error` is an {@link AbortCheckError}.
 * - while it runs, the worker watches `abortable.abort$(messageId)` (mode `'abort'` only; a `cancel` leaves
 *   a running task alone). The watch re-reads the mark once established, so an abort landing between the
 *   check and the watch still stops it. On abort, the context's `signal` aborts with an {@link Abort}, the
 *   handler's pipeline is unsubscribed (teardown runs), and the outcome is `aborted` (acknowledged, never
 *   retried). With `abortTimeout > 0`, `abortRequested$` emits first and the hard stop waits that long.
 *
 * - when the backend carries outcomes (MemoryBackend, RedisBackend), the worker reports what it did about
 *   each abort with `abortable.reportOutcome` (one write per aborted task, alongside the ack), for
 *   `outcome$()` and `abortAndWait()`: `'skipped'` for a task it skipped, `'stopped'` for one it stopped (or
 *   that failed after a graceful abort was requested), `'finished'` for one that completed within a
 *   graceful abort's deadline; `workerId` is the worker's id. A report that fails becomes an `error` event
 *   with an {@link OutcomeReportError}; the task is settled all the same.
 *
 * Messages are acknowledged when their task succeeded, failed for good, was skipped or was aborted, and
 * returned to the queue when the worker stops before they finish.
 *
 * ```text
 * queue:     --m1--m2--m3------------
 * abort(m2): ------------A-----------
 * events$:   --r s r s r s (m2 a) (m1 ok) ...   r=received s=started a=aborted
 * ```
 *
 * @example
 * ```ts
 * import { Worker, actor, getBroker } from 'rx-abort';
 * const countWords = actor('count_words', (text: string) => text.split(' ').length);
 * const worker = new Worker(getBroker(), { concurrency: 4 }).start();
 * worker.events$.subscribe((event) => console.log(event.type, 'messageId' in event ? event.messageId : ''));
 * await countWords.send('three little words');
 * await getBroker().join();
 * await worker.stop({ timeout: 10_000 });
 * ```
 */
export class Worker {
  /** The worker's id (its Redis consumer name). */
  readonly id: string;
  /** The broker it consumes from. */
  readonly broker: Broker;
  /** How many tasks run at once. */
  readonly concurrency: number;
  /** Lifecycle events of every message (see {@link WorkerEvent}); completes when `stop()` resolves. */
  readonly events$: Observable<WorkerEvent>;

  readonly #options: {
    readonly queues: readonly string[] | undefined;
    readonly abortCheckAttempts: number;
    readonly abortCheckBackoff: number;
    readonly abortCheckTimeout: number;
  };
  readonly #scheduler: SchedulerLike;
  readonly #events = new Subject<WorkerEvent>();
  readonly #free$: BehaviorSubject<number>;
  readonly #hardStop$ = new ReplaySubject<void>(1);
  readonly #receiving = new AbortController();
  readonly #done$ = new ReplaySubject<void>(1);
  #queues: readonly string[] = [];
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #abortable: Abortable | undefined;
  #middleware: Middleware[] = [];
  #subscription: Subscription | undefined;
  #stopped: Promise<void> | undefined;
  /** The threads and processes of isolated actors; closed (all terminated) when `stop()` settles. */
  readonly #isolates: IsolatePools;

  /**
   * @param broker - the broker to consume from (its actors and middleware are used).
   * @param options - see {@link WorkerOptions}.
   * @throws TypeError / RangeError for an invalid broker or option.
   */
  constructor(broker: Broker, options?: WorkerOptions) {
    if (broker === null || typeof broker !== 'object' || typeof broker.receive !== 'function') {
      throw new TypeError('broker must be a Broker (for example getBroker() or new RedisBroker({ url }))');
    }
    const checked = validateOptions<WorkerOptions>(options, {
      queues: true,
      concurrency: true,
      abortCheckAttempts: true,
      abortCheckBackoff: true,
      abortCheckTimeout: true,
      id: true,
      scheduler: true,
    });
    this.broker = broker;
    let queues: readonly string[] | undefined;
    if (checked.queues !== undefined) {
      if (!Array.isArray(checked.queues) || checked.queues.length === 0) {
        throw new TypeError('options.queues must be a non-empty array of queue names');
      }
      queues = checked.queues.map((queueName, index) => validateName(queueName, `options.queues[${index}]`));
    }
    this.concurrency =
      checked.concurrency === undefined ? 8 : validateConcurrency(checked.concurrency, 'options.concurrency');
    this.#options = {
      queues,
      abortCheckAttempts:
        checked.abortCheckAttempts === undefined
          ? 3
          : validateCount(checked.abortCheckAttempts, 'options.abortCheckAttempts', 1, 100),
      abortCheckBackoff:
        checked.abortCheckBackoff === undefined
          ? 200
          : validateMilliseconds(checked.abortCheckBackoff, 'options.abortCheckBackoff', 0, 60_000),
      abortCheckTimeout:
        checked.abortCheckTimeout === undefined
          ? 5000
          : validateMilliseconds(checked.abortCheckTimeout, 'options.abortCheckTimeout', 1, 2 ** 31 - 1),
    };
    if (
      checked.id !== undefined &&
      (typeof checked.id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(checked.id))
    ) {
      throw new TypeError('options.id must be 1 to 200 printable ASCII characters without spaces');
    }
    this.id = checked.id ?? `${hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
    const scheduler = checked.scheduler ?? asyncScheduler;
    if (scheduler === null || typeof scheduler !== 'object' || typeof scheduler.now !== 'function') {
      throw new TypeError('options.scheduler must be an RxJS scheduler');
    }
    this.#scheduler = scheduler;
    this.#free$ = new BehaviorSubject(this.concurrency);
    this.#isolates = new IsolatePools(this.concurrency);
    this.events$ = this.#events.asObservable();
  }

  /** The queues consumed (known once started). */
  get queues(): readonly string[] {
    return this.#queues;
  }

  /** Messages received and not yet settled (running, or being checked). */
  get running(): number {
    return this.concurrency - this.#free$.value;
  }

  /** `'idle'` before `start()`, `'running'`, `'stopping'` during `stop()`, then `'stopped'`. */
  get state(): 'idle' | 'running' | 'stopping' | 'stopped' {
    return this.#state;
  }

  /**
   * Starts consuming. The broker's `Abortable` middleware (if any) and other middleware are looked up now.
   * Calling it again while running does nothing.
   *
   * @example
   * ```ts
   * import { Worker, getBroker } from 'rx-abort';
   * const worker = new Worker(getBroker(), { queues: ['default'] }).start();
   * await worker.stop();
   * ```
   * @returns the worker.
   * @throws RangeError when no queue is given and no actor is declared; WorkerStoppedError after `stop()`.
   */
  start(): this {
    if (this.#state === 'running') return this;
    if (this.#state !== 'idle') throw new WorkerStoppedError('This worker was stopped; create a new Worker');
    const queues = this.#options.queues ?? [...new Set(this.broker.actors.map((actor) => actor.queueName))];
    if (queues.length === 0) {
      throw new RangeError(
        'options.queues is empty and no actor is declared on the broker: nothing to consume',
      );
    }
    this.#queues = queues;
    this.#abortable = this.broker.getMiddleware(Abortable);
    this.#middleware = this.broker.middleware.filter(
      (middleware): middleware is Middleware =>
        !(middleware instanceof Abortable) && typeof (middleware as Middleware).wrapTask === 'function',
    );
    this.#state = 'running';
    const signal = this.#receiving.signal;
    this.#subscription = this.#deliveries$(signal)
      .pipe(
        mergeMap((delivery) => this.#process(delivery), this.concurrency),
        finalize(() => this.#done$.next()),
      )
      .subscribe({
        error: (error: unknown) => this.#emit({ type: 'error', workerId: this.id, at: this.#now(), error }),
      });
    return this;
  }

  /**
   * Stops gracefully: takes no more messages, returns the received ones that have not started, lets
   * running tasks finish within `timeout`, then stops the rest (their `signal` aborts with a
   * {@link WorkerStoppedError}) and returns their messages to the queue. Resolves when every message is
   * settled (and every thread or process of an isolated actor has exited); `events$` completes then.
   * Idempotent.
   *
   * @example
   * ```ts
   * import { Worker, getBroker } from 'rx-abort';
   * const worker = new Worker(getBroker(), { queues: ['default'] }).start();
   * process.once('SIGTERM', () => void worker.stop({ timeout: 20_000 }));
   * ```
   * @param options - see {@link StopOptions}.
   */
  stop(options?: StopOptions): Promise<void> {
    const checked = validateOptions<StopOptions>(options, { timeout: true });
    const limit =
      checked.timeout === undefined
        ? 30_000
        : validateMilliseconds(checked.timeout, 'options.timeout', 0, 2 ** 31 - 1);
    if (this.#stopped !== undefined) return this.#stopped;
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#events.complete();
      this.#stopped = Promise.resolve();
      return this.#stopped;
    }
    this.#state = 'stopping';
    this.#receiving.abort(new WorkerStoppedError('The worker is stopping'));
    // Settled: then the isolates of isolated actors are terminated (idempotent) before stop() resolves.
    const done$ = this.#done$.pipe(
      first(),
      mergeMap(() => this.#isolates.close()),
    );
    this.#stopped = firstValueFrom(
      race(
        done$,
        timer(limit, this.#scheduler).pipe(
          tap(() => this.#hardStop$.next()),
          switchMap(() => done$),
        ),
      ),
    ).then(() => {
      this.#subscription?.unsubscribe();
      this.#state = 'stopped';
      this.#events.complete();
    });
    return this.#stopped;
  }

  /** The receive loop: asks the broker for as many messages as there are free slots, until stopped. */
  #deliveries$(signal: AbortSignal): Observable<Delivery> {
    let failures = 0;
    const stopped$ = fromEvent(signal, 'abort');
    return this.#free$.pipe(
      takeUntil(stopped$),
      first((free) => free > 0 || signal.aborted, 0),
      switchMap((free) =>
        signal.aborted
          ? of([])
          : from(this.broker.receive({ queues: this.#queues, max: free, consumer: this.id, signal })),
      ),
      tap(() => {
        failures = 0;
      }),
      catchError((error: unknown) => {
        this.#emit({ type: 'error', workerId: this.id, at: this.#now(), error });
        const backoff = Math.min(5000, 100 * 2 ** failures++);
        return timer(backoff, this.#scheduler).pipe(
          map((): Delivery[] => []),
          takeUntil(stopped$),
        );
      }),
      repeat({ delay: () => (signal.aborted ? EMPTY : of(0)) }),
      mergeMap((batch) => batch),
      tap(() => this.#free$.next(this.#free$.value - 1)),
    );
  }

  /** One message, from receipt to its final event. */
  #process(delivery: Delivery): Observable<never> {
    const { message } = delivery;
    const fields = this.#fields(message);
    this.#emit({ type: 'received', ...fields, at: this.#now() });
    return defer(() => {
      if (this.#state !== 'running')
        return this.#settle(delivery, 'nack', { type: 'requeued', reason: 'shutdown' });
      let actor: Actor;
      try {
        actor = this.broker.getActor(message.actorName);
      } catch (error) {
        return this.#settle(delivery, 'ack', { type: 'failed', error });
      }
      const abortable =
        this.#abortable !== undefined && isAbortable(message, actor, this.#abortable)
          ? this.#abortable
          : undefined;
      const decision$ = abortable === undefined ? of(RUN) : this.#check(abortable, message);
      return decision$.pipe(
        takeUntil(this.#hardStop$),
        defaultIfEmpty(SHUTDOWN),
        mergeMap((decision) => {
          switch (decision.kind) {
            case 'skip':
              return merge(
                this.#reportOutcome(abortable, message, 'skipped'),
                this.#settle(delivery, 'ack', {
                  type: 'skipped',
                  mode: decision.mark.mode,
                  event: decision.mark,
                }),
              );
            case 'check-failed':
              return this.#settle(delivery, 'nack', {
                type: 'requeued',
                reason: 'abort-check-failed',
                error: decision.error,
              });
            case 'check-refused':
              // A permanent refusal (NOPERM, WRONGPASS, ...) never heals: fail it for good, never loop.
              return this.#settle(delivery, 'ack', { type: 'failed', error: decision.error });
            case 'shutdown':
              return this.#settle(delivery, 'nack', { type: 'requeued', reason: 'shutdown' });
            case 'run':
              if (this.#state !== 'running') {
                return this.#settle(delivery, 'nack', { type: 'requeued', reason: 'shutdown' });
              }
              return this.#run(delivery, actor, abortable);
          }
        }),
      );
    }).pipe(finalize(() => this.#free$.next(this.#free$.value + 1)));
  }

  /** The pre-start check, retried with backoff unless the failure is permanent; never errors. */
  #check(abortable: Abortable, message: Message): Observable<Decision> {
    const { abortCheckAttempts, abortCheckBackoff, abortCheckTimeout } = this.#options;
    let attempts = 0;
    return defer(() => {
      attempts++;
      return abortable.aborted(message.messageId);
    }).pipe(
      timeout({ first: abortCheckTimeout, scheduler: this.#scheduler }),
      retry({
        count: abortCheckAttempts - 1,
        delay: (error, attempt) =>
          isPermanentError(error)
            ? throwError(() => error)
            : timer(abortCheckBackoff * 2 ** (attempt - 1), this.#scheduler),
      }),
      map((mark): Decision => (mark !== null && skipsMessage(mark, message) ? { kind: 'skip', mark } : RUN)),
      catchError((error: unknown) =>
        of<Decision>(
          isPermanentError(error)
            ? {
                kind: 'check-refused',
                error: new AbortCheckError(message.messageId, attempts, error, 'failed'),
              }
            : {
                kind: 'check-failed',
                error: new AbortCheckError(message.messageId, abortCheckAttempts, error),
              },
        ),
      ),
    );
  }

  /** Runs the handler under the abort watch, then settles the delivery by its outcome. */
  #run(delivery: Delivery, actor: Actor, abortable: Abortable | undefined): Observable<never> {
    const { message } = delivery;
    let startedAt: number | undefined;
    return runTask({
      message,
      task: (context) =>
        this.#middleware.reduceRight<Observable<unknown>>(
          (task$, middleware) => middleware.wrapTask?.(task$, context) ?? task$,
          this.#isolates.process(actor, message, context),
        ),
      abort$: abortable === undefined ? NEVER : abortable.abort$(message.messageId),
      stop$: this.#hardStop$,
      scheduler: this.#scheduler,
      onStart: () => {
        startedAt = this.#now();
        this.#emit({ type: 'started', ...this.#fields(message), at: startedAt });
      },
    }).pipe(
      mergeMap((outcome) =>
        merge(
          this.#reportOutcome(abortable, message, abortOutcomeOf(outcome)),
          this.#conclude(
            delivery,
            actor,
            outcome,
            startedAt === undefined ? undefined : this.#now() - startedAt,
          ),
        ),
      ),
    );
  }

  #conclude(
    delivery: Delivery,
    actor: Actor,
    outcome: TaskOutcome,
    durationMs: number | undefined,
  ): Observable<never> {
    const { message } = delivery;
    switch (outcome.type) {
      case 'succeeded':
        return this.#settle(delivery, 'ack', {
          type: 'succeeded',
          durationMs: durationMs ?? 0,
          result: outcome.result,
          abortRequested: outcome.abortRequest !== undefined,
        });
      case 'aborted':
        return this.#settle(delivery, 'ack', {
          type: 'aborted',
          event: outcome.event,
          started: outcome.started,
          graceful: outcome.graceful,
          ...(durationMs === undefined ? {} : { durationMs }),
        });
      case 'stopped':
        return this.#settle(delivery, 'nack', {
          type: 'requeued',
          reason: 'shutdown',
          ...(durationMs === undefined ? {} : { durationMs }),
        });
      case 'failed': {
        const maxRetries = message.options.maxRetries ?? actor.maxRetries;
        if (outcome.abortRequest !== undefined || message.retries >= maxRetries) {
          return this.#settle(delivery, 'ack', {
            type: 'failed',
            error: outcome.error,
            ...(durationMs === undefined ? {} : { durationMs }),
          });
        }
        const delay = actor.backoff(message.retries);
        const { delay: _previousDelay, ...rest } = message;
        const retry: Message = {
          ...rest,
          retries: message.retries + 1,
          enqueuedAt: Date.now(),
          ...(delay > 0 ? { delay } : {}),
        };
        return defer(() => this.broker.enqueue(retry)).pipe(
          mergeMap(() =>
            this.#settle(delivery, 'ack', {
              type: 'retried',
              error: outcome.error,
              delay,
              durationMs: durationMs ?? 0,
            }),
          ),
          catchError((error: unknown) =>
            this.#settle(delivery, 'nack', { type: 'requeued', reason: 'retry-failed', error }),
          ),
        );
      }
    }
  }

  /**
   * Reports what the worker did about an abort (`abortable.reportOutcome`), alongside the settle: one
   * write, when the backend carries outcomes. A failed report becomes an `error` event with an
   * {@link OutcomeReportError}; it never fails the task's pipeline.
   */
  #reportOutcome(
    abortable: Abortable | undefined,
    message: Message,
    outcome: AbortOutcomeKind | undefined,
  ): Observable<never> {
    if (abortable === undefined || outcome === undefined || !abortable.hasOutcomes) return EMPTY;
    const at = this.#now();
    return defer(() =>
      abortable.reportOutcome({ id: message.messageId, outcome, at, workerId: this.id }),
    ).pipe(
      ignoreElements(),
      catchError((error: unknown) => {
        this.#emit({
          type: 'error',
          workerId: this.id,
          at: this.#now(),
          messageId: message.messageId,
          error: new OutcomeReportError(message.messageId, outcome, error),
        });
        return EMPTY;
      }),
    );
  }

  /** Acknowledges or returns a delivery, then emits its final event; a failed settle becomes an `error` event. */
  #settle(delivery: Delivery, how: 'ack' | 'nack', event: FinalEventBody): Observable<never> {
    return defer(() => (how === 'ack' ? delivery.ack() : delivery.nack())).pipe(
      // A broker blip: try again a few times (about 1.5 s in all). If it still fails, the message stays
      // with the broker unsettled: it is delivered again later (on Redis, claimed after claimIdleTime).
      retry({ count: 4, delay: (_error, attempt) => timer(100 * 2 ** (attempt - 1), this.#scheduler) }),
      tap({
        next: () =>
          this.#emit({ ...event, ...this.#fields(delivery.message), at: this.#now() } as WorkerEvent),
        error: (error: unknown) =>
          this.#emit({
            type: 'error',
            workerId: this.id,
            at: this.#now(),
            messageId: delivery.message.messageId,
            error,
          }),
      }),
      ignoreElements(),
      catchError(() => EMPTY),
    );
  }

  #fields(message: Message): Omit<MessageEventFields, 'at'> {
    return {
      workerId: this.id,
      messageId: message.messageId,
      actorName: message.actorName,
      queueName: message.queueName,
      retries: message.retries,
    };
  }

  #now(): number {
    return this.#scheduler.now();
  }

  #emit(event: WorkerEvent): void {
    this.#events.next(event);
  }
}
