// A hard stop: a CPU-bound handler that never looks at its signal runs in a worker thread; abort() stops
// it anyway (the thread is terminated after the grace), and the worker's next task runs.
//
//   npx tsx examples/isolation.ts     # embedded in-memory broker and backend, one process, exits by itself
import { subscribe } from 'node:diagnostics_channel';
import { abort, actor, getBroker, ISOLATE_CHANNEL, type IsolateEvent, Worker } from '../src/index.js';

const now = (): number => performance.timeOrigin + performance.now();

// The handler is the default export of ./isolation/primes.ts. Under tsx, a TypeScript module is loaded
// through tsx in the thread too; in a built project, point the URL to the compiled .js file.
const countPrimes = actor<[limit: number], number>(
  'count_primes',
  new URL('./isolation/primes.ts', import.meta.url),
  { isolation: 'thread', terminateGrace: 100 },
);

// See the threads come and go (optional: diagnostics_channel costs nothing without a subscriber).
subscribe(ISOLATE_CHANNEL, (message) => {
  const event = message as IsolateEvent;
  console.log(`  [isolate] thread ${event.isolateId} ${event.type}`);
});

const worker = new Worker(getBroker(), { concurrency: 1 }).start();
worker.events$.subscribe((event) => {
  if (event.type === 'succeeded') console.log(`task ${event.messageId.slice(0, 8)}: ${event.result} primes`);
  if (event.type === 'aborted') console.log(`task ${event.messageId.slice(0, 8)}: aborted`);
});

const endless = await countPrimes.send(Number.MAX_SAFE_INTEGER); // would run for ages
await countPrimes.send(100_000); // waits behind it (concurrency 1)
await new Promise((resolve) => setTimeout(resolve, 1000));
const abortedAt = now();
let terminatedAt = 0;
subscribe(ISOLATE_CHANNEL, (message) => {
  const event = message as IsolateEvent;
  if (event.type === 'terminated' && event.messageId === endless.messageId) terminatedAt = event.at;
});
await abort(endless.messageId, { reason: 'taking too long' });

await getBroker().join();
await worker.stop(); // terminates every thread it started
await getBroker().close();
console.log(`thread terminated ${(terminatedAt - abortedAt).toFixed(1)} ms after abort() (grace 100 ms)`);
