// The rx-abort story in one run: three tasks; one aborted while queued (skipped), one aborted while running
// (stopped, with the time the stop took), one that completes.
//
//   npm run demo                                   # embedded in-memory broker and backend, one process
//   REDIS_URL=redis://127.0.0.1:6379 npm run demo  # Redis: a worker process (forked) and this client process
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  concatMap,
  count,
  filter,
  finalize,
  firstValueFrom,
  from,
  fromEvent,
  map,
  type Observable,
  ReplaySubject,
  timer,
} from 'rxjs';
import {
  Abortable,
  abort,
  actor,
  getBroker,
  RedisBackend,
  RedisBroker,
  setBroker,
  type TaskContext,
  Worker,
  type WorkerEvent,
} from '../src/index.js';

/** What the story is told from: the worker's events, and the moment a task's pipeline was torn down. */
type StoryEvent = WorkerEvent | { type: 'teardown'; messageId: string; at: number };

/** Milliseconds since the epoch, with sub-millisecond precision (comparable across local processes). */
const now = (): number => performance.timeOrigin + performance.now();

/** The actor, declared on the default broker by the client and by the worker alike. */
const declareCountWords = (onTeardown: (messageId: string) => void) =>
  actor('count_words', (text: string, { messageId }: TaskContext) =>
    from(text.split(' ')).pipe(
      concatMap((word) => timer(60).pipe(map(() => word))), // a slow word counter
      count(),
      finalize(() => onTeardown(messageId)), // runs on completion and when the task is stopped
    ),
  );

type CountWords = ReturnType<typeof declareCountWords>;

/** Declares the actor and starts a worker (one task at a time); its events and teardowns go to `report`. */
function startWorker(report: (event: StoryEvent) => void): { worker: Worker; countWords: CountWords } {
  const countWords = declareCountWords((messageId) => report({ type: 'teardown', messageId, at: now() }));
  const worker = new Worker(getBroker(), { concurrency: 1 }).start();
  worker.events$.subscribe(report);
  return { worker, countWords };
}

/** The client side: sends three tasks, aborts two, prints the worker's story; returns the stop latency. */
async function tellStory(
  countWords: CountWords,
  events$: Observable<StoryEvent>,
  where: string,
): Promise<number> {
  const names = new Map<string, string>();
  const label = (messageId: string) => `${names.get(messageId)} (${messageId.slice(0, 8)})`;
  const line = (verb: string, text: string) => console.log(`  ${verb.padEnd(8)} ${text}`);
  const next = <T extends StoryEvent['type']>(type: T, messageId: string) =>
    firstValueFrom(
      events$.pipe(
        filter((event): event is Extract<StoryEvent, { type: T }> => event.type === type),
        filter((event) => 'messageId' in event && event.messageId === messageId),
      ),
    );

  const running = await countWords.send('the quick brown fox jumps over the lazy dog');
  const queued = await countWords.send('to be or not to be');
  const completing = await countWords.send('rx abort stops tasks by id from any process');
  for (const [index, message] of [running, queued, completing].entries()) {
    names.set(message.messageId, `task ${index + 1}`);
    line('sent', `${label(message.messageId)} count_words(${JSON.stringify(message.args[0])})`);
  }
  events$.subscribe((event) => {
    if (!('messageId' in event) || event.messageId === undefined) return;
    const who = label(event.messageId);
    if (event.type === 'started') line('started', `${who} ${where}`);
    if (event.type === 'skipped')
      line('skipped', `${who}: aborted while queued (mode ${event.mode}); never ran`);
    if (event.type === 'succeeded')
      line('done', `${who}: ${String(event.result)} words in ${event.durationMs} ms`);
    if (event.type === 'failed') line('failed', `${who}: ${String(event.error)}`);
  });

  line('abort', `${label(queued.messageId)} while it waits in the queue`);
  await abort(queued.messageId);

  await next('started', running.messageId);
  await new Promise((resolve) => setTimeout(resolve, 150));
  line('abort', `${label(running.messageId)} while it runs`);
  const teardown = next('teardown', running.messageId);
  const abortCalledAt = now();
  await abort(running.messageId, { reason: 'user pressed stop' });
  const stopMs = (await teardown).at - abortCalledAt;
  const aborted = await next('aborted', running.messageId);
  line(
    'aborted',
    `${label(running.messageId)}: stopped ${stopMs.toFixed(2)} ms after abort(), ${aborted.durationMs} ms into its work`,
  );
  await next('succeeded', completing.messageId);
  return stopMs;
}

async function inMemory(): Promise<void> {
  console.log('rx-abort demo: embedded in-memory broker, one process (set REDIS_URL to use Redis)\n');
  const events$ = new ReplaySubject<StoryEvent>();
  const { worker, countWords } = startWorker((event) => events$.next(event));
  const stopMs = await tellStory(countWords, events$, 'in this process');
  await getBroker().join();
  await worker.stop();
  await getBroker().close();
  console.log(`\nstop latency (abort() call to pipeline teardown): ${stopMs.toFixed(2)} ms`);
}

/** Makes a RedisBroker the default broker, with the Abortable middleware on a RedisBackend. */
function useRedis(url: string, prefix: string): { broker: RedisBroker; close: () => Promise<void> } {
  const broker = new RedisBroker({ url, prefix: `${prefix}broker:`, blockTime: 200 });
  setBroker(broker);
  const abortable = new Abortable({ backend: RedisBackend.fromUrl(url, { prefix: `${prefix}abort:` }) });
  broker.addMiddleware(abortable);
  return {
    broker,
    close: async () => {
      await broker.close();
      await abortable.close();
    },
  };
}

/** The worker process: runs the tasks and reports to the client over IPC until told to stop. */
function redisWorker(url: string, prefix: string): void {
  const { close } = useRedis(url, prefix);
  const { worker } = startWorker((event) => {
    const { error, ...rest } = event as StoryEvent & { error?: unknown };
    process.send?.(error === undefined ? rest : { ...rest, error: String(error) });
  });
  process.send?.({ type: 'ready' });
  process.once('message', () => {
    void worker
      .stop()
      .then(close)
      .then(() => process.disconnect());
  });
}

async function redisClient(url: string): Promise<void> {
  console.log(`rx-abort demo: Redis at ${url}, a worker process and this client process\n`);
  const prefix = `rx-abort-demo:${randomUUID().slice(0, 8)}:`;
  const child = fork(fileURLToPath(import.meta.url), ['worker', prefix], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events$ = new ReplaySubject<StoryEvent | { type: 'ready' }>();
  fromEvent(child, 'message', (message: unknown) => message as StoryEvent | { type: 'ready' }).subscribe(
    events$,
  );
  await firstValueFrom(events$.pipe(filter((event) => event.type === 'ready')));
  const { broker, close } = useRedis(url, prefix);
  console.log(`  worker   process ${child.pid} consumes queue 'default'`);
  const story$ = events$.pipe(filter((event): event is StoryEvent => event.type !== 'ready'));
  const countWords = declareCountWords(() => {}); // the client declares the actor to send to it
  const stopMs = await tellStory(countWords, story$, `in worker process ${child.pid}`);
  await broker.join();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const redis = new Redis(url);
  await redis.del(broker.streamKey('default'), broker.delayedKey('default'));
  await redis.quit();
  await close();
  console.log(
    `\nstop latency (abort() in this process to pipeline teardown in the worker): ${stopMs.toFixed(2)} ms`,
  );
}

const [role, prefix] = process.argv.slice(2);
const url = process.env.REDIS_URL;
if (url === undefined || url === '') await inMemory();
else if (role === 'worker' && prefix !== undefined) redisWorker(url, prefix);
else await redisClient(url);
