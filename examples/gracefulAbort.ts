// A graceful abort: `abort(id, { abortTimeout })` asks a running task to stop and gives it time to wrap up.
// The task hears it on `abortRequested$` (or polls `abortRequested()`), finishes cleanly with what it has, and
// its outcome is `succeeded` with `abortRequested: true`. A task that ignores the request is stopped hard at
// the deadline (`aborted`, `graceful: true`).
//
//   npx tsx examples/gracefulAbort.ts
import { filter, firstValueFrom, interval, map, ReplaySubject, scan, takeUntil, takeWhile } from 'rxjs';
import {
  Abortable,
  actor,
  MemoryBackend,
  MemoryBroker,
  type TaskContext,
  Worker,
  type WorkerEvent,
} from '../src/index.js';

const broker = new MemoryBroker();
const abortable = new Abortable({ backend: new MemoryBackend() });
broker.addMiddleware(abortable);

// Copies rows in batches; when asked to stop, it finishes the batch in hand and reports how far it got.
const copyRows = actor(
  'copy_rows',
  (table: string, { abortRequested$ }: TaskContext) =>
    interval(10).pipe(
      takeWhile((batch) => batch < 10_000),
      takeUntil(abortRequested$), // stop taking new batches once asked; what is done is kept
      scan((rows) => rows + 100, 0),
      map((rows) => `${table}: ${rows} rows copied`),
    ),
  { broker },
);

// Ignores abort requests: it will be stopped at the deadline.
const stubborn = actor(
  'stubborn',
  (_: string, { signal }: TaskContext) => {
    return new Promise<string>((resolve) => {
      const done = setTimeout(() => resolve('never'), 60_000);
      signal.addEventListener('abort', () => clearTimeout(done), { once: true });
    });
  },
  { broker },
);

const worker = new Worker(broker, { concurrency: 2 }).start();
const events$ = new ReplaySubject<WorkerEvent>(); // every event from here on, for the lookups below
worker.events$.subscribe(events$);
const eventOf = (messageId: string, types: readonly WorkerEvent['type'][]) =>
  firstValueFrom(
    events$.pipe(
      filter((event) => 'messageId' in event && event.messageId === messageId && types.includes(event.type)),
    ),
  );

const copy = await copyRows.send('orders');
const other = await stubborn.send('x');
await Promise.all([eventOf(copy.messageId, ['started']), eventOf(other.messageId, ['started'])]);
await new Promise((resolve) => setTimeout(resolve, 100)); // let them work a little

// Both get 200 ms to wrap up.
await abortable.abort([copy.messageId, other.messageId], { abortTimeout: 200, reason: 'deploying' });
const final = ['succeeded', 'aborted', 'failed'] as const;
const [copied, stopped] = await Promise.all([
  eventOf(copy.messageId, final),
  eventOf(other.messageId, final),
]);
console.log(
  'copy_rows:',
  copied.type,
  copied.type === 'succeeded' ? `${copied.result} (abortRequested: ${copied.abortRequested})` : '',
);
console.log(
  'stubborn:',
  stopped.type,
  stopped.type === 'aborted' ? `at the deadline (graceful: ${stopped.graceful})` : '',
);
if (copied.type !== 'succeeded' || stopped.type !== 'aborted') throw new Error('unexpected outcomes');

await worker.stop();
await broker.close();
await abortable.close();
