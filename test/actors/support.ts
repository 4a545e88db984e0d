import { filter, firstValueFrom, Observable, ReplaySubject, take, timeout, toArray } from 'rxjs';
import { expect } from 'vitest';
import {
  Abortable,
  type AbortableOptions,
  type Broker,
  type EventBackend,
  MemoryBackend,
  MemoryBroker,
  type TaskContext,
  Worker,
  type WorkerEvent,
  type WorkerOptions,
} from '../../src/index.js';

/** A broker, a backend and the workers of one test, with a teardown that proves nothing is left behind. */
export interface Harness<
  B extends Broker = MemoryBroker,
  E extends EventBackend & { readonly watchedIds: number } = MemoryBackend,
> {
  readonly backend: E;
  readonly abortable: Abortable;
  readonly broker: B;
  /** Every event of every worker started with {@link Harness.worker}, replayed. */
  readonly events: WorkerEvent[];
  /** Starts a worker on the broker and records its events. */
  worker(options?: WorkerOptions): Worker;
  /** Resolves with the first event (of any worker) matching. */
  next<T extends WorkerEvent['type']>(
    type: T,
    messageId?: string,
    timeoutMs?: number,
  ): Promise<Extract<WorkerEvent, { type: T }>>;
  /** Stops the workers, checks that no watch or waiting receive remains, closes the broker. */
  teardown(): Promise<void>;
}

export function harness(options?: Partial<AbortableOptions>): Harness;
export function harness<B extends Broker, E extends EventBackend & { readonly watchedIds: number }>(
  options: Partial<AbortableOptions>,
  parts: { broker: B; backend: E; close?: () => Promise<void> },
): Harness<B, E>;
export function harness(
  options: Partial<AbortableOptions> = {},
  parts?: {
    broker: Broker;
    backend: EventBackend & { readonly watchedIds: number };
    close?: () => Promise<void>;
  },
): Harness<Broker, EventBackend & { readonly watchedIds: number }> {
  const backend = parts?.backend ?? new MemoryBackend();
  const abortable = new Abortable({ backend, ...options });
  const broker = parts?.broker ?? new MemoryBroker();
  broker.addMiddleware(abortable);
  const events: WorkerEvent[] = [];
  const all$ = new ReplaySubject<WorkerEvent>();
  const workers: Worker[] = [];
  return {
    backend,
    abortable,
    broker,
    events,
    worker(workerOptions) {
      const worker = new Worker(broker, workerOptions);
      worker.events$.subscribe((event) => {
        events.push(event);
        all$.next(event);
      });
      workers.push(worker.start());
      return worker;
    },
    next(type, messageId, timeoutMs = 5000) {
      return firstValueFrom(
        all$.pipe(
          filter(
            (event): event is Extract<WorkerEvent, { type: typeof type }> =>
              event.type === type &&
              (messageId === undefined || ('messageId' in event && event.messageId === messageId)),
          ),
          take(1),
          timeout(timeoutMs),
        ),
      );
    },
    async teardown() {
      await Promise.all(workers.map((worker) => worker.stop({ timeout: 1000 })));
      expect(backend.watchedIds).toBe(0);
      if (broker instanceof MemoryBroker) {
        expect(broker.stats().waiting).toBe(0);
        expect(broker.stats().unacked).toBe(0);
      }
      await broker.close();
      await parts?.close?.();
    },
  };
}

/** The event types a message went through, in order. */
export const typesOf = (events: readonly WorkerEvent[], messageId: string): string[] =>
  events.filter((event) => 'messageId' in event && event.messageId === messageId).map((event) => event.type);

/** Collects everything an Observable emits until it completes. */
export const collect = <T>(source: Observable<T>): Promise<T[]> => firstValueFrom(source.pipe(toArray()));

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a {@link probe} handler saw: its calls, completion, teardown and context. */
export interface ProbeRecord {
  calls: number;
  completed: number;
  tornDown: number;
  tornDownAt: number | undefined;
  context: TaskContext | undefined;
  /** Resolves when the handler is called (the first time). */
  started: Promise<void>;
}

/** A handler that emits `'done'` and completes after `ms` milliseconds, recording what happens to it. */
export function probe(ms = 10_000): {
  record: ProbeRecord;
  handler: (context: TaskContext) => Observable<string>;
} {
  let markStarted = (): void => {};
  const record: ProbeRecord = {
    calls: 0,
    completed: 0,
    tornDown: 0,
    tornDownAt: undefined,
    context: undefined,
    started: new Promise<void>((resolve) => {
      markStarted = resolve;
    }),
  };
  const handler = (context: TaskContext): Observable<string> => {
    record.calls++;
    record.context = context;
    markStarted();
    return new Observable<string>((subscriber) => {
      const timer = setTimeout(() => {
        record.completed++;
        subscriber.next('done');
        subscriber.complete();
      }, ms);
      return () => {
        clearTimeout(timer);
        record.tornDown++;
        record.tornDownAt = Date.now();
      };
    });
  };
  return { record, handler };
}
