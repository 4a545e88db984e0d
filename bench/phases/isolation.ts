/**
 * The isolation phase: what a hard stop costs. Two figures, for isolated actors (`actor(name, moduleUrl,
 * { isolation })`):
 * - the stop time: `abort()` in another process (a client on real Redis) to the termination of the thread
 *   or child process running a `for (;;) {}` handler, with `terminateGrace: 0` (the mechanism alone: the
 *   abort's delivery, the worker's decision and `worker.terminate()` / SIGKILL; the default grace of 250 ms
 *   comes on top);
 * - the per-task overhead of `'thread'` and `'process'` against in-process handlers: µs per trivial task
 *   with warm pools, at concurrency 1 and 8 (MemoryBroker, no Redis, so only the isolation is measured;
 *   `concurrency` tasks kept in flight; the fastest of 5 rounds).
 *
 * This file is also the aborting client: forked with the argument `abort-client`, it aborts the ids it is
 * sent and reports when it called `abort()`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IsolateEvent } from '../../src/index.js';
import { trackPid } from '../cleanup.js';
import { now, sleep, withTimeout } from '../clock.js';
import { loadLibrary } from '../library.js';
import { startBenchRedis } from '../redisServer.js';
import { type LatencySummary, round3, summarize } from '../stats.js';

/** Options of {@link runIsolation}. */
export interface IsolationSettings {
  /** Aborts timed per isolation kind. @default 20 */
  stops: number;
  /** Trivial tasks timed per kind and concurrency (in 5 rounds; the fastest round counts). @default 2000 */
  tasks: number;
}

/** Per-task cost at one concurrency. */
export interface OverheadRun {
  concurrency: number;
  /** Wall time per task, µs, in-process / thread / process. */
  inProcessUsPerTask: number;
  threadUsPerTask: number;
  processUsPerTask: number;
  /** What isolation adds per task, µs (isolated minus in-process). */
  threadOverheadUs: number;
  processOverheadUs: number;
}

/** The results of the isolation phase. */
export interface IsolationRun {
  /** `abort()` in a client process to the isolate's exit, `terminateGrace: 0`, ms. */
  stopThread: LatencySummary;
  stopProcess: LatencySummary;
  /** Starting one isolate: the first task's wait on a cold pool minus a warm task's, ms (MemoryBroker). */
  spawnThreadMs: number;
  spawnProcessMs: number;
  overhead: OverheadRun[];
  tasks: number;
}

/** Rounds of the per-task timing; the fastest counts. */
const ROUNDS = 5;

const HANDLER = `export default function handler(what) {
  if (what === 'busy') for (;;) {}
  return 1;
}
`;

/**
 * Runs the phase.
 * @param settings - see {@link IsolationSettings}.
 * @returns the figures.
 */
export async function runIsolation(
  settings: IsolationSettings = { stops: 20, tasks: 2000 },
): Promise<IsolationRun> {
  const lib = await loadLibrary();
  const dir = mkdtempSync(join(tmpdir(), 'rx-abort-bench-isolation-'));
  const moduleUrl = pathToFileURL(join(dir, 'handler.mjs'));
  writeFileSync(moduleUrl, HANDLER);
  const terminated = new Map<string, number>();
  const onIsolate = (message: unknown): void => {
    const event = message as IsolateEvent;
    if (event.type === 'terminated' && event.messageId !== undefined)
      terminated.set(event.messageId, event.at);
  };
  subscribe(lib.ISOLATE_CHANNEL, onIsolate);
  const redis = await startBenchRedis({ notifyKeyspaceEvents: 'K$' });
  const client = startAbortClient();
  try {
    const url = `redis://127.0.0.1:${redis.port}`;
    const stop = async (isolation: 'thread' | 'process'): Promise<number[]> => {
      const prefix = `bench:isolation:${isolation}:`;
      const backend = lib.RedisBackend.fromUrl(url, { prefix: `${prefix}abort:` });
      const broker = new lib.RedisBroker({ url, prefix: `${prefix}broker:` });
      broker.addMiddleware(new lib.Abortable({ backend }));
      const spin = lib.actor<[what: string], number>('spin', moduleUrl, {
        broker,
        isolation,
        terminateGrace: 0,
        execArgv: [],
      });
      const worker = new lib.Worker(broker, { concurrency: 1 }).start();
      // Every event is recorded, so one that comes before the caller waits for it is not missed.
      const seen = new Set<string>();
      const recording = worker.events$.subscribe((event) => {
        if ('messageId' in event) seen.add(`${event.type} ${event.messageId}`);
      });
      const settled = (messageId: string, type: string) =>
        withTimeout(
          (async () => {
            while (!seen.has(`${type} ${messageId}`)) await sleep(1);
          })(),
          20_000,
          `${isolation} task ${type}`,
        );
      const runOne = async (): Promise<void> => {
        const message = await spin.send('noop');
        await settled(message.messageId, 'succeeded');
      };
      try {
        const stops: number[] = [];
        for (let i = 0; i < settings.stops; i++) {
          await runOne(); // the replacement isolate is started and warm
          const message = await spin.send('busy');
          const aborted = settled(message.messageId, 'aborted');
          await settled(message.messageId, 'started');
          await sleep(20); // the warm isolate is in the loop
          const abortedAt = await client.abort(url, `${prefix}abort:`, message.messageId);
          await aborted;
          await withTimeout(
            (async () => {
              while (!terminated.has(message.messageId)) await sleep(1);
            })(),
            10_000,
            'termination',
          );
          stops.push((terminated.get(message.messageId) ?? Number.NaN) - abortedAt);
        }
        return stops;
      } finally {
        recording.unsubscribe();
        await worker.stop({ timeout: 1000 });
        await broker.close();
        await backend.close();
      }
    };
    const stopThread = await stop('thread');
    const stopProcess = await stop('process');
    const overhead: OverheadRun[] = [];
    let spawnThreadMs = Number.NaN;
    let spawnProcessMs = Number.NaN;
    for (const concurrency of [1, 8]) {
      const perTask = async (
        isolation: 'in-process' | 'thread' | 'process',
      ): Promise<{ usPerTask: number; firstMs: number }> => {
        const broker = new lib.MemoryBroker();
        const trivial =
          isolation === 'in-process'
            ? lib.actor('trivial', (_what: string) => 1, { broker })
            : lib.actor<[what: string], number>('trivial', moduleUrl, { broker, isolation, execArgv: [] });
        const worker = new lib.Worker(broker, { concurrency }).start();
        /** Keeps `concurrency` tasks in flight until `count` succeeded; resolves with the time taken. */
        const window = (count: number): Promise<number> =>
          withTimeout(
            new Promise<number>((resolve, reject) => {
              const started = now();
              let sent = 0;
              let done = 0;
              const send = (): void => {
                sent++;
                trivial.send('noop').catch(reject);
              };
              const subscription = worker.events$.subscribe((event) => {
                if (event.type === 'failed') reject(event.error);
                if (event.type !== 'succeeded') return;
                if (++done === count) {
                  subscription.unsubscribe();
                  resolve(now() - started);
                } else if (sent < count) send();
              });
              for (let i = 0; i < Math.min(concurrency, count); i++) send();
            }),
            120_000,
            `${isolation} tasks`,
          );
        try {
          const firstMs = await window(1); // starts the first isolate
          await window(concurrency * 4); // warm the pool: `concurrency` isolates started
          // The fastest of a few rounds: on a shared machine, other work only ever adds time.
          const perRound = Math.ceil(settings.tasks / ROUNDS);
          let best = Number.POSITIVE_INFINITY;
          for (let round = 0; round < ROUNDS; round++) best = Math.min(best, await window(perRound));
          const usPerTask = (best * 1000) / perRound;
          return { usPerTask, firstMs };
        } finally {
          await worker.stop({ timeout: 1000 });
          await broker.close();
        }
      };
      const inProcess = (await perTask('in-process')).usPerTask;
      const thread = await perTask('thread');
      const proc = await perTask('process');
      const threadUs = thread.usPerTask;
      const processUs = proc.usPerTask;
      if (concurrency === 1) {
        spawnThreadMs = round3(thread.firstMs - threadUs / 1000);
        spawnProcessMs = round3(proc.firstMs - processUs / 1000);
      }
      overhead.push({
        concurrency,
        inProcessUsPerTask: round3(inProcess),
        threadUsPerTask: round3(threadUs),
        processUsPerTask: round3(processUs),
        threadOverheadUs: round3(threadUs - inProcess),
        processOverheadUs: round3(processUs - inProcess),
      });
    }
    return {
      stopThread: summarize(stopThread),
      stopProcess: summarize(stopProcess),
      spawnThreadMs,
      spawnProcessMs,
      overhead,
      tasks: settings.tasks,
    };
  } finally {
    unsubscribe(lib.ISOLATE_CHANNEL, onIsolate);
    await client.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The aborting client process (this file, forked). */
function startAbortClient(): {
  abort(url: string, prefix: string, id: string): Promise<number>;
  stop(): Promise<void>;
} {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['abort-client'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const untrack = trackPid(child.pid ?? 0);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let seq = 0;
  return {
    abort(url, prefix, id) {
      const current = ++seq;
      return withTimeout(
        new Promise<number>((resolve) => {
          const onMessage = (reply: { seq: number; at: number }): void => {
            if (reply.seq !== current) return;
            child.off('message', onMessage);
            resolve(reply.at);
          };
          child.on('message', onMessage);
          child.send({ seq: current, url, prefix, id });
        }),
        20_000,
        'abort client',
      );
    },
    async stop() {
      child.disconnect();
      await withTimeout(exited, 5000, 'abort client exit').catch(() => child.kill('SIGKILL'));
      untrack();
    },
  };
}

/** In the client process: one Abortable per prefix, `abort(id)` timed from just before the call. */
async function serveAbortClient(): Promise<void> {
  const lib = await loadLibrary();
  const abortables = new Map<string, InstanceType<typeof lib.Abortable>>();
  process.on('message', async (request: { seq: number; url: string; prefix: string; id: string }) => {
    let abortable = abortables.get(request.prefix);
    if (abortable === undefined) {
      abortable = new lib.Abortable({
        backend: lib.RedisBackend.fromUrl(request.url, { prefix: request.prefix }),
      });
      abortables.set(request.prefix, abortable);
      await abortable.aborted('warm-up'); // connect before the timed call
    }
    const at = now();
    await abortable.abort(request.id);
    process.send?.({ seq: request.seq, at });
  });
  process.on('disconnect', async () => {
    for (const abortable of abortables.values()) await abortable.close();
    process.exit(0);
  });
}

if (process.argv[2] === 'abort-client') void serveAbortClient();
