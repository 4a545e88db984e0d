// Aborting BullMQ jobs by id: a delayed job removed, a running job stopped, a finished one left alone.
// It needs a Redis (BullMQ's and the abort marks'; keyspace notifications are switched on if allowed):
//
//   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/bullmq.ts
//
// run: no-run (test/integration/bullmq/example.test.ts runs it against a redis-server of its own)
//
// Everything runs in this process for brevity; abortJob() works the same from any other process.
import { Queue, Worker } from 'bullmq';
import { abortableProcessor, abortJob, JobAbortedError } from '../src/bullmq/index.js';
import { Abort, Abortable, RedisBackend } from '../src/index.js';

if (process.env.REDIS_URL === undefined) {
  console.error('Set REDIS_URL to a Redis this example may use, e.g. REDIS_URL=redis://127.0.0.1:6379');
  process.exit(1);
}
const url = new URL(process.env.REDIS_URL);
// BullMQ workers need maxRetriesPerRequest: null on their connection.
const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
const abortable = new Abortable({ backend: RedisBackend.fromUrl(url.href) });
const queue = new Queue(`emails-${process.pid}`, { connection });

// 1. A job that has not started (here: delayed by a minute) is removed from the queue.
const later = await queue.add('send', { to: 'ada@example.com' }, { delay: 60_000 });
console.log('delayed job:', await abortJob(queue, later.id!, { abortable })); // removed

// 2. A running job: its signal aborts, and the job fails with a JobAbortedError (never retried).
let started = (): void => {};
const running$ = new Promise<void>((resolve) => {
  started = resolve;
});
const worker = new Worker(
  queue.name,
  abortableProcessor<{ to: string; ms: number }, string>(
    (job, _token, signal) =>
      new Promise<string>((resolve, reject) => {
        started();
        const timer = setTimeout(() => resolve(`sent to ${job.data.to}`), job.data.ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer); // stop the work: here a timer, in real code fetch({ signal }), a child process...
          console.log('the signal aborted with an Abort:', signal.reason instanceof Abort);
          reject(signal.reason); // an Abort, with the reason given to abortJob
        });
      }),
    { abortable },
  ),
  { connection },
);
const failed = new Promise<void>((resolve) =>
  worker.once('failed', (job, error) => {
    console.log(
      `job ${job?.id} failed:`,
      error.message,
      `(a JobAbortedError: ${error instanceof JobAbortedError})`,
    );
    resolve();
  }),
);
const running = await queue.add('send', { to: 'grace@example.com', ms: 60_000 }, { attempts: 5 });
await running$;
const abortedAt = performance.now();
console.log('running job:', await abortJob(queue, running.id!, { abortable, reason: 'user pressed cancel' }));
await failed;
console.log(
  `stopped ${(performance.now() - abortedAt).toFixed(1)} ms after abortJob was called, attempts made: 1`,
);

// 3. A job that already finished is left as it is.
const quick = await queue.add('send', { to: 'alan@example.com', ms: 1 });
await new Promise((resolve) => worker.once('completed', resolve));
console.log('finished job:', await abortJob(queue, quick.id!, { abortable })); // finished

await worker.close();
await queue.obliterate({ force: true });
await queue.close();
await abortable.close();
