// The worker process of the BullMQ phase (forked by bullmq.ts with --import tsx): one BullMQ Worker whose
// jobs run until their signal aborts, reporting 'started' and 'signal' (with the shared-clock time) over
// IPC. MODE: 'plain' (BullMQ alone, the idle floor), 'ours' (abortableProcessor on a RedisBackend) or
// 'relay' (BullMQ's experimental Relay: a pattern subscription that calls worker.cancelJob).
import * as bullmq from 'bullmq';
import { abortableProcessor } from '../../src/bullmq/index.js';
import { Abortable, RedisBackend } from '../../src/index.js';
import { now } from '../clock.js';

const port = Number(process.env.REDIS_PORT);
const mode = process.env.MODE;
const queueName = process.env.QUEUE ?? 'bench';
const send = (payload: Record<string, unknown>): void => {
  if (process.connected) process.send?.(payload);
};
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };

const run = (job: bullmq.Job, signal: AbortSignal | undefined): Promise<string> =>
  new Promise((resolve) => {
    send({ type: 'started', jobId: job.id });
    signal?.addEventListener('abort', () => {
      send({ type: 'signal', jobId: job.id, at: now() });
      resolve('stopped');
    });
  });

let abortable: Abortable | undefined;
let relay: { close(): Promise<void>; subscribe: (...args: never[]) => Promise<unknown> } | undefined;
let processor: bullmq.Processor;
if (mode === 'ours') {
  const backend = RedisBackend.fromUrl(`redis://127.0.0.1:${port}`);
  abortable = new Abortable({ backend });
  await backend.ready();
  processor = abortableProcessor((job, _token, signal) => run(job, signal), { abortable });
} else {
  processor = (job, _token, signal) => run(job, signal);
}
const worker = new bullmq.Worker(queueName, processor, { connection, concurrency: 10 });
if (mode === 'relay') {
  const Relay = (bullmq as unknown as { Relay?: new (options: { connection: unknown }) => typeof relay })
    .Relay;
  if (Relay === undefined) throw new Error('this bullmq has no Relay');
  const created = new Relay({ connection }) as NonNullable<typeof relay> & {
    subscribe(pattern: string, listener: (message: { data: { jobId: string } }) => void): Promise<unknown>;
  };
  relay = created;
  await created.subscribe(`queues.${queueName}.cancel.*`, (message) => {
    worker.cancelJob(message.data.jobId, 'cancelled through the Relay');
  });
}
await worker.waitUntilReady();
send({ type: 'ready' });

process.on('message', async (message) => {
  if (message !== 'stop') return;
  await worker.close(true);
  await relay?.close();
  await abortable?.close();
  process.disconnect();
});
