// A worker process of the soak (forked by soak/runSoak.ts with --import tsx --expose-gc): a RedisBroker with
// the Abortable middleware on a RedisBackend, and per round a Worker on the running queue (and later one on
// the queued queue). It reports every worker event to the parent, batched, and snapshots its heap, watched
// ids and listener counts between rounds.
import { Redis } from 'ioredis';
import { Observable, Subject } from 'rxjs';
import {
  Abortable,
  actor,
  RedisBackend,
  RedisBroker,
  type TaskContext,
  Worker,
  type WorkerEvent,
} from '../src/index.js';
import {
  QUEUED_ACTOR,
  QUEUED_QUEUE,
  RUNNING_ACTOR,
  RUNNING_QUEUE,
  type SoakEvent,
  type WorkerApi,
  type WorkerInit,
  type WorkerSnapshot,
} from './protocol.js';
import { collectedHeap, listenerCounts, serve } from './serve.js';

interface Setup {
  readonly init: WorkerInit;
  readonly broker: RedisBroker;
  readonly backend: RedisBackend;
  readonly abortable: Abortable;
  readonly backendClient: Redis;
  readonly brokerClient: Redis;
  /** The connections the backend made with `backendClient.duplicate()`: its subscriber. */
  readonly duplicates: Redis[];
}

const FLUSH_EVERY_MS = 20;
const FLUSH_AT = 1000;

let setup: Setup | undefined;
let connectionErrors = 0;
let lastConnectionError: string | undefined;
/** Counts what the clients made here emit (the library's own connections have their listeners). */
const noteError = (error: unknown): void => {
  connectionErrors++;
  lastConnectionError = String(error);
};
let round: { readonly number: number; readonly workers: Worker[] } | undefined;
/** Emits when the parent releases the tasks still running: they complete. */
const release$ = new Subject<void>();
let buffer: SoakEvent[] = [];
let flushTimer: NodeJS.Timeout | undefined;

const post = serve<WorkerApi>({
  async init(init) {
    if (setup !== undefined) throw new Error('init was called twice');
    const backendClient = new Redis(init.url, { maxRetriesPerRequest: 2 });
    const brokerClient = new Redis(init.url, { maxRetriesPerRequest: 2 });
    backendClient.on('error', noteError);
    brokerClient.on('error', noteError);
    const duplicates: Redis[] = [];
    const duplicate = backendClient.duplicate.bind(backendClient);
    backendClient.duplicate = (override) => {
      const connection = duplicate(override);
      duplicates.push(connection);
      return connection;
    };
    const broker = new RedisBroker({ client: brokerClient, prefix: `${init.prefix}broker:`, blockTime: 250 });
    const backend = new RedisBackend({ client: backendClient, prefix: `${init.prefix}abort:` });
    const abortable = new Abortable({ backend });
    broker.addMiddleware(abortable);
    actor(RUNNING_ACTOR, task, { broker, queueName: RUNNING_QUEUE });
    actor(QUEUED_ACTOR, task, { broker, queueName: QUEUED_QUEUE });
    await backend.ready();
    setup = { init, broker, backend, abortable, backendClient, brokerClient, duplicates };
    return snapshot(setup);
  },

  async startRound({ round: number }) {
    const current = ready();
    if (round !== undefined) throw new Error(`round ${round.number} has not ended`);
    const before = await snapshot(current);
    round = { number, workers: [] };
    startWorker(current, RUNNING_QUEUE, current.init.concurrency);
    return before;
  },

  async release() {
    release$.next();
  },

  async drain() {
    startWorker(ready(), QUEUED_QUEUE, ready().init.queuedConcurrency);
  },

  async endRound() {
    const current = ready();
    const workers = round?.workers ?? [];
    round = undefined;
    await Promise.all(workers.map((worker) => worker.stop({ timeout: 2000 })));
    flush();
    return snapshot(current);
  },

  async close() {
    const current = setup;
    setup = undefined;
    if (current === undefined) return;
    await current.broker.close();
    await current.abortable.close();
    await Promise.all([current.backendClient.quit(), current.brokerClient.quit()]).catch(() => {});
  },
});

/** A task that runs until released or `ms` elapse (or until aborted: the worker unsubscribes it). */
function task(ms: number, _context: TaskContext): Observable<string> {
  return new Observable<string>((subscriber) => {
    const done = (): void => {
      subscriber.next('done');
      subscriber.complete();
    };
    const timer = setTimeout(done, ms);
    const released = release$.subscribe(done);
    return () => {
      clearTimeout(timer);
      released.unsubscribe();
    };
  });
}

function ready(): Setup {
  if (setup === undefined) throw new Error('init first');
  return setup;
}

function startWorker(current: Setup, queue: string, concurrency: number): void {
  if (round === undefined) throw new Error('no round is running');
  const worker = new Worker(current.broker, {
    queues: [queue],
    concurrency,
    id: `soak-${process.pid}-r${round.number}-${queue}`,
  });
  worker.events$.subscribe((event) => report(event));
  round.workers.push(worker.start());
}

async function snapshot(current: Setup): Promise<WorkerSnapshot> {
  const heapUsed = await collectedHeap();
  const subscriber: Record<string, number> = {};
  for (const connection of current.duplicates) {
    for (const [name, count] of Object.entries(listenerCounts(connection))) {
      subscriber[name] = (subscriber[name] ?? 0) + count;
    }
  }
  return {
    pid: process.pid,
    heapUsed,
    watchedIds: current.backend.watchedIds,
    listeners: {
      backendClient: listenerCounts(current.backendClient),
      subscriber,
      brokerClient: listenerCounts(current.brokerClient),
    },
    running: round?.workers.reduce((sum, worker) => sum + worker.running, 0) ?? 0,
    connectionErrors,
    ...(lastConnectionError === undefined ? {} : { lastConnectionError }),
  };
}

function report(event: WorkerEvent): void {
  buffer.push(slim(event));
  if (buffer.length >= FLUSH_AT) flush();
  else flushTimer ??= setTimeout(flush, FLUSH_EVERY_MS);
}

function flush(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (buffer.length === 0) return;
  post({ kind: 'events', events: buffer });
  buffer = [];
}

function slim(event: WorkerEvent): SoakEvent {
  const base = { type: event.type, pid: process.pid, at: event.at };
  const error = 'error' in event && event.error !== undefined ? { error: String(event.error) } : {};
  if (event.type === 'error') {
    return { ...base, ...error, ...(event.messageId === undefined ? {} : { messageId: event.messageId }) };
  }
  return {
    ...base,
    ...error,
    messageId: event.messageId,
    queueName: event.queueName,
    ...(event.type === 'aborted' ? { started: event.started } : {}),
    ...(event.type === 'skipped' ? { mode: event.mode } : {}),
    ...(event.type === 'requeued' ? { reason: event.reason } : {}),
  };
}
