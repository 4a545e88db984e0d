import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as bullmq from 'bullmq';
import { abortJob } from '../../src/bullmq/index.js';
import { Abortable, RedisBackend } from '../../src/index.js';
import { onCleanup, trackPid } from '../cleanup.js';
import { now, sleep, withTimeout } from '../clock.js';
import { RedisInfo } from '../redisInfo.js';
import { startBenchRedis } from '../redisServer.js';
import { type LatencySummary, summarize } from '../stats.js';

/** One system of the BullMQ phase. */
export interface BullmqRun {
  /** `'plain'` (BullMQ alone), `'ours'` (rx-abort/bullmq) or `'relay'` (BullMQ's Relay). */
  system: 'plain' | 'ours' | 'relay';
  /** abort call in this process -> the processor's signal in the worker process, ms (none for 'plain'). */
  latency?: LatencySummary;
  /** Redis commands per second while the worker is idle (no job), its own BullMQ polling included. */
  idleCommandsPerSec: number;
  /** The idle window's commands by name. */
  idleByCommand: Record<string, number>;
}

/** The BullMQ phase's results. */
export interface BullmqPhase {
  bullmqVersion: string;
  /** Whether the installed bullmq exports a Relay (its cross-process mechanism); else only ours runs. */
  relayAvailable: boolean;
  runs: BullmqRun[];
  notes: string[];
}

const IDLE_SECONDS = 10;
const workerScript = fileURLToPath(new URL('./bullmqWorker.ts', import.meta.url));

interface WorkerMessage {
  type: string;
  jobId?: string;
  at?: number;
}

async function runSystem(system: BullmqRun['system'], samples: number): Promise<BullmqRun> {
  const redis = await startBenchRedis();
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const queueName = 'bench';
  const child: ChildProcess = fork(workerScript, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_PORT: String(redis.port), MODE: system, QUEUE: queueName },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const untrack = trackPid(child.pid ?? 0);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopChild = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send('stop');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await exited;
    untrack();
  };
  const unregister = onCleanup(stopChild);
  const waiters = new Map<string, (message: WorkerMessage) => void>();
  child.on('message', (message: WorkerMessage) => {
    waiters.get(`${message.type}:${message.jobId ?? ''}`)?.(message);
  });
  const next = (type: string, jobId = ''): Promise<WorkerMessage> =>
    withTimeout(
      new Promise<WorkerMessage>((resolve) => waiters.set(`${type}:${jobId}`, resolve)),
      20_000,
      `${type} ${jobId} from the ${system} worker`,
    ).finally(() => waiters.delete(`${type}:${jobId}`));

  const queue = new bullmq.Queue(queueName, { connection });
  const info = new RedisInfo(redis.port);
  let abortable: Abortable | undefined;
  let relay: { close(): Promise<void>; publish(topic: string, data: unknown): Promise<unknown> } | undefined;
  try {
    await withTimeout(next('ready'), 30_000, `the ${system} worker to start`);
    if (system === 'ours') {
      const backend = RedisBackend.fromUrl(`redis://127.0.0.1:${redis.port}`);
      abortable = new Abortable({ backend });
      await backend.ready();
    } else if (system === 'relay') {
      const Relay = (bullmq as unknown as { Relay: new (options: { connection: unknown }) => typeof relay })
        .Relay;
      relay = new Relay({ connection });
    }
    // The idle window: the worker waits for jobs; the client holds its connections, sending nothing.
    await sleep(500);
    const before = await info.snapshot();
    await sleep(IDLE_SECONDS * 1000);
    const idle = RedisInfo.delta(before, await info.snapshot());

    const latencies: number[] = [];
    if (system !== 'plain') {
      for (let i = 0; i < samples; i++) {
        const jobId = `job-${i}`;
        // Listen before adding: the worker may report the start before add() resolves here.
        const started = next('started', jobId);
        const signalled = next('signal', jobId);
        await queue.add('job', {}, { jobId });
        await started;
        await sleep(Math.random() * 20); // the job runs a little while (its watch is established)
        const calledAt = now();
        if (abortable !== undefined) await abortJob(queue, jobId, { abortable });
        else await relay?.publish(`queues.${queueName}.cancel.${jobId}`, { jobId });
        const { at } = await signalled;
        latencies.push((at ?? Number.NaN) - calledAt);
      }
    }
    return {
      system,
      ...(latencies.length > 0 ? { latency: summarize(latencies) } : {}),
      idleCommandsPerSec: idle.commandsPerSec,
      idleByCommand: idle.byCommand,
    };
  } finally {
    await queue.close();
    await relay?.close();
    await abortable?.close();
    info.close();
    unregister();
    await stopChild();
    await redis.stop();
  }
}

/**
 * The BullMQ phase: the time from an abort call in one process to the running job's `signal` in a BullMQ
 * worker process, for `rx-abort/bullmq` (`abortJob` -> `abortableProcessor`) and for BullMQ's own
 * cross-process mechanism when the installed version has one (the experimental `Relay`: a publish that
 * the worker's pattern subscription turns into `worker.cancelJob`), with the Redis commands each sends
 * while the worker is idle. Each system gets its own redis-server and worker process.
 *
 * @param samples - aborts per system (sequential, one running job at a time).
 * @returns the runs.
 */
export async function runBullmq(samples: number): Promise<BullmqPhase> {
  const { createRequire } = await import('node:module');
  const version = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;
  const relayAvailable = typeof (bullmq as Record<string, unknown>).Relay === 'function';
  const runs: BullmqRun[] = [];
  for (const system of ['plain', 'ours', ...(relayAvailable ? ['relay' as const] : [])] as const) {
    runs.push(await runSystem(system, samples));
  }
  const notes = [
    `idle window ${IDLE_SECONDS} s per system, worker with no job; 'plain' is BullMQ's own polling alone`,
    relayAvailable
      ? 'the Relay is experimental in BullMQ and carries messages, not state: a cancel published before a worker runs the job finds nothing to cancel, and the publisher learns nothing of the outcome'
      : `bullmq ${version} exports no Relay: no cross-process cancel of its own to compare with`,
  ];
  return { bullmqVersion: version, relayAvailable, runs, notes };
}

/** The phase as printed lines. */
export function renderBullmq(phase: BullmqPhase): string {
  const ms = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)} ms`);
  const lines = [
    `\nBullMQ ${phase.bullmqVersion}: abort call -> processor signal in a worker process`,
    '| system | p50 | p99 | max | idle Redis commands/s |',
    '| --- | --- | --- | --- | --- |',
  ];
  const names = {
    plain: 'BullMQ alone (no abort)',
    ours: 'rx-abort/bullmq abortJob',
    relay: 'BullMQ Relay + cancelJob',
  };
  for (const run of phase.runs) {
    lines.push(
      `| ${names[run.system]} | ${ms(run.latency?.p50Ms)} | ${ms(run.latency?.p99Ms)} | ${ms(run.latency?.maxMs)} | ${run.idleCommandsPerSec.toFixed(2)} |`,
    );
  }
  for (const note of phase.notes) lines.push(`- ${note}`);
  return lines.join('\n');
}
