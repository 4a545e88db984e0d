import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import type { Redis } from 'ioredis';
import { actor, RedisBroker, type RedisQueueStats } from '../src/index.js';
import { startRedisServer } from '../test/support/redisServer.js';
import { onCleanup, trackPid } from './cleanup.js';
import { type ChildHandle, forkChild } from './forkChild.js';
import type { SoakOptions } from './options.js';
import { type AbortPlan, planAborts } from './planAborts.js';
import {
  type ClientApi,
  type ClientResult,
  type ListenerCounts,
  QUEUED_ACTOR,
  QUEUED_QUEUE,
  RUNNING_ACTOR,
  RUNNING_QUEUE,
  type WorkerApi,
  type WorkerSnapshot,
} from './protocol.js';
import { type RoundVerdict, TaskLedger } from './TaskLedger.js';

/** One worker process at the end of a round. */
export interface WorkerRoundFigures {
  readonly pid: number;
  /** Heap after `global.gc()` before the round started, in bytes. */
  readonly heapBefore: number;
  /** Heap after `global.gc()` once the round's workers stopped, in bytes. */
  readonly heapAfter: number;
  /** `backend.watchedIds` once the round's workers stopped. */
  readonly watchedIds: number;
  /** Listeners added since the process was set up, summed over its clients and event names. */
  readonly listenerGrowth: number;
  readonly listeners: ListenerCounts;
  /** Messages still held by its workers. */
  readonly running: number;
  /** Errors its ioredis clients emitted so far. */
  readonly connectionErrors: number;
}

/** What one round did and found. */
export interface SoakRoundReport extends RoundVerdict {
  readonly round: number;
  /** Tasks running when the aborts were issued. */
  readonly tasks: number;
  /** Tasks kept queued. */
  readonly queued: number;
  readonly runningTargets: number;
  readonly queuedTargets: number;
  readonly unknownIds: number;
  readonly repeats: number;
  /** Ids passed to `abort()`. */
  readonly issued: number;
  readonly calls: number;
  readonly failedCalls: number;
  readonly clientErrors: readonly string[];
  /** From the first `abort()` call to the last one resolved, in ms. */
  readonly clientMs: number;
  readonly abortsPerSecond: number;
  /** From the first `abort()` call to the last running target's `aborted` event, in ms. */
  readonly landingMs: number | null;
  /** From the round's start until every running task had started, in ms. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly workers: readonly WorkerRoundFigures[];
  /** The client's heap after `global.gc()` at the end of its aborts, in bytes. */
  readonly clientHeap: number;
  /** Keyspace channels under the run's prefix still subscribed (`PUBSUB CHANNELS`), at most 20 listed. */
  readonly channelsLeft: readonly string[];
  readonly channelsLeftCount: number;
  /** Task channels with subscribers (`PUBSUB NUMSUB`). */
  readonly taskChannelsSubscribed: number;
  /** Connections the Redis server had once the round ended (`INFO clients`). */
  readonly connectedClients: number;
  /** Connections more than before the first round (the round's workers are stopped: should be 0). */
  readonly connectionsGrowth: number;
  /** Messages left in the queues once the round ended. */
  readonly queuesLeft: { readonly running: RedisQueueStats; readonly queued: RedisQueueStats };
}

/** Heap per worker process over the rounds, in MiB, after `global.gc()`. */
export interface HeapFigures {
  readonly pid: number;
  /** Before each round started and after its workers stopped. */
  readonly rounds: readonly { readonly round: number; readonly beforeMb: number; readonly afterMb: number }[];
  /** After the last round minus after the first (null with one round). */
  readonly growthMb: number | null;
}

/** The result of {@link runSoak}. */
export interface SoakReport {
  readonly options: SoakOptions;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryMb: number;
    readonly node: string;
    readonly redis: string;
  };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly rounds: readonly SoakRoundReport[];
  readonly totals: {
    readonly issued: number;
    readonly calls: number;
    readonly targets: number;
    readonly landed: number;
    readonly lost: number;
    readonly touched: number;
    readonly duplicates: number;
    readonly unexpected: number;
    readonly clientMs: number;
    readonly abortsPerSecond: number;
  };
  readonly heap: readonly HeapFigures[];
  /** Keyspace channels of the run still subscribed at the end. */
  readonly channelsLeft: number;
  /** Connections the server had once every process was set up, before the first round. */
  readonly connectionsBeforeRounds: number;
  /** Connections of the run's processes the server still had after they closed. */
  readonly connectionsLeft: number;
  /** True when nothing was lost, touched, duplicated or leaked. */
  readonly ok: boolean;
  readonly failures: readonly string[];
}

const POLL_MS = 20;
const SETTLE_MS = 2000;
const ENQUEUE_CHUNK = 500;
const MB = 1024 * 1024;

/**
 * The soak of issue 4: starts a redis-server, `workers` worker processes and a client process, and runs
 * `repeat` rounds. In each round the workers start `tasks` abortable tasks, `queued` more wait on a queue
 * nobody consumes yet, and the client issues `aborts` ids at full speed (running, queued and unknown ids,
 * singles and batches). The round checks from the workers' events that every running target stopped, every
 * queued target was skipped when it came due and nothing else was touched; then that no keyspace channel
 * of the run is subscribed, no id is watched, no listener was added and no message is left. Every wait is
 * bounded (`phaseTimeout`, `maxTime`); every process and the server are stopped before it resolves or
 * rejects.
 *
 * @example
 * ```ts
 * const report = await runSoak(resolveSoakOptions('small'), console.log);
 * if (!report.ok) console.error(report.failures);
 * ```
 * @param options - the size and bounds of the run.
 * @param log - progress lines.
 * @returns the figures and the verdict.
 */
export async function runSoak(
  options: SoakOptions,
  log: (line: string) => void = () => {},
): Promise<SoakReport> {
  const startedAt = Date.now();
  const deadline = startedAt + options.maxTime;
  const within = (ms: number): number => Math.max(1, Math.min(ms, deadline - Date.now()));
  const closers: Array<() => Promise<void>> = [];
  try {
    const server = await startRedisServer();
    closers.push(onCleanup(() => server.stop()));
    const admin = server.client({ maxRetriesPerRequest: 2 });
    const info = await admin.info('server');
    closers.push(trackPidOnly(Number(/process_id:(\d+)/.exec(info)?.[1])));
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const prefix = `soak:${randomUUID().slice(0, 8)}:`;
    log(`redis-server ${redisVersion} on ${server.url}, prefix ${prefix}`);

    const [client, ...workers] = await Promise.all([
      forkChild<ClientApi>('clientProcess.ts', 'client'),
      ...Array.from({ length: options.workers }, (_, index) =>
        forkChild<WorkerApi>('workerProcess.ts', `worker-${index + 1}`),
      ),
    ]);
    if (client === undefined) throw new Error('no client process');
    closers.push(client.close, ...workers.map((worker) => worker.close));
    const init = {
      url: server.url,
      prefix,
      concurrency: options.concurrency,
      queuedConcurrency: options.queuedConcurrency,
    };
    const [, ...baselines] = await Promise.all([
      client.call('init', { url: server.url, prefix }, within(30_000)),
      ...workers.map((worker) => worker.call('init', init, within(30_000))),
    ]);
    const baselineClients = await connectedClients(admin);
    log(`${workers.length} worker processes (concurrency ${options.concurrency}) and a client process ready`);

    const broker = new RedisBroker({ client: admin, prefix: `${prefix}broker:` });
    closers.push(onCleanup(() => broker.close()));
    const runningActor = actor(RUNNING_ACTOR, (_ms: number) => undefined, {
      broker,
      queueName: RUNNING_QUEUE,
    });
    const queuedActor = actor(QUEUED_ACTOR, (_ms: number) => undefined, { broker, queueName: QUEUED_QUEUE });

    const rig: Rig = {
      options,
      prefix,
      admin,
      broker,
      client,
      workers,
      baselines,
      baselineClients,
      within,
      log,
      send: {
        running: () => runningActor.send(options.taskMs),
        queued: () => queuedActor.send(5),
      },
    };
    const rounds: SoakRoundReport[] = [];
    for (let round = 1; round <= options.repeat; round++) rounds.push(await runRound(rig, round));

    await Promise.all([client, ...workers].map((child) => child.call('close', null, within(10_000))));
    await Promise.all([client, ...workers].map((child) => child.close()));
    let channelsLeft: string[] = [];
    await waitFor(async () => {
      channelsLeft = await keyspaceChannels(admin, prefix);
      return channelsLeft.length === 0;
    }, within(SETTLE_MS));
    let connectionsLeft = 0;
    // The parent's own connection (and the broker's, which shares it) is all that should be left.
    await waitFor(async () => {
      connectionsLeft = (await connectedClients(admin)) - 1;
      return connectionsLeft === 0;
    }, within(SETTLE_MS));
    log(
      `processes closed; Redis connections: ${baselineClients} before the rounds (the parent's included), ` +
        `${connectionsLeft} of the run's processes left`,
    );

    return summarize(options, {
      startedAt,
      rounds,
      channelsLeft: channelsLeft.length,
      connectionsLeft,
      connectionsBeforeRounds: baselineClients,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryMb: Math.round(totalmem() / MB),
        node: process.version,
        redis: redisVersion,
      },
    });
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/** What a round works with: the processes, the connections and the bounds of the run. */
interface Rig {
  readonly options: SoakOptions;
  readonly prefix: string;
  readonly admin: Redis;
  readonly broker: RedisBroker;
  readonly client: ChildHandle<ClientApi>;
  readonly workers: readonly ChildHandle<WorkerApi>[];
  /** Each worker's snapshot right after setup. */
  readonly baselines: readonly WorkerSnapshot[];
  /** Redis connections right after setup. */
  readonly baselineClients: number;
  /** `ms`, or less when the run's deadline is nearer. */
  readonly within: (ms: number) => number;
  readonly log: (line: string) => void;
  readonly send: {
    readonly running: () => Promise<{ messageId: string }>;
    readonly queued: () => Promise<{ messageId: string }>;
  };
}

/**
 * One round: start the tasks, keep some queued, abort from the client, let the rest finish, then look
 * for what was lost, touched or left behind.
 */
async function runRound(rig: Rig, round: number): Promise<SoakRoundReport> {
  const { options, admin, broker, client, workers, within, log } = rig;
  const roundStart = Date.now();
  const ledger = new TaskLedger();
  for (const worker of workers) worker.onEvents((events) => ledger.record(events));
  const before = await Promise.all(
    workers.map((worker) => worker.call('startRound', { round }, within(30_000))),
  );

  const running = await enqueue(options.tasks, rig.send.running);
  for (const id of running) ledger.expect(id, 'running');
  const allStarted = await waitFor(() => ledger.started >= options.tasks, within(options.phaseTimeout));
  const startMs = Date.now() - roundStart;
  if (!allStarted) {
    throw new Error(
      `round ${round}: only ${ledger.started} of ${options.tasks} tasks started within ${options.phaseTimeout} ms`,
    );
  }
  const queued = await enqueue(options.queued, rig.send.queued);
  for (const id of queued) ledger.expect(id, 'queued');
  log(`round ${round}: ${options.tasks} tasks running after ${startMs} ms, ${queued.length} queued`);

  const plan = planAborts({ ...options, running, queued, seed: options.seed + round, unknownId: randomUUID });
  const result = await client.call(
    'abort',
    { calls: plan.calls, inFlight: options.inFlight, abortTtl: Math.max(300_000, options.maxTime) },
    within(options.phaseTimeout),
  );
  const sentAt = firstSent(plan, result);
  log(
    `round ${round}: ${result.issued} aborts in ${result.calls} calls issued in ${result.durationMs} ms` +
      (result.failedCalls > 0 ? `, ${result.failedCalls} calls failed: ${result.errors[0]}` : ''),
  );

  // Every running target stops on its own; then the rest are released and the queued queue is drained.
  await waitFor(
    () => ledger.settledAmong(plan.runningTargets) >= plan.runningTargets.size,
    within(options.phaseTimeout),
  );
  const lastStop = ledger.lastFinalAt(plan.runningTargets);
  const firstCall = result.sentAt[0];
  await Promise.all(workers.map((worker) => worker.call('release', null, within(10_000))));
  await Promise.all(workers.map((worker) => worker.call('drain', null, within(10_000))));
  await waitFor(() => ledger.settled >= ledger.size, within(options.phaseTimeout));
  const after = await Promise.all(workers.map((worker) => worker.call('endRound', null, within(30_000))));

  // Unsubscribing and disconnecting are asynchronous: give them a moment, bounded.
  let channels: string[] = [];
  await waitFor(async () => {
    channels = await keyspaceChannels(admin, rig.prefix);
    return channels.length === 0;
  }, within(SETTLE_MS));
  let clients = 0;
  await waitFor(async () => {
    clients = await connectedClients(admin);
    return clients <= rig.baselineClients;
  }, within(SETTLE_MS));
  const taskChannels = [...running, ...queued].map((id) => `__keyspace@0__:${rig.prefix}abort:${id}`);
  const verdict = ledger.verdict(plan, sentAt);
  const report: SoakRoundReport = {
    round,
    tasks: running.length,
    queued: queued.length,
    runningTargets: plan.runningTargets.size,
    queuedTargets: plan.queuedTargets.size,
    unknownIds: plan.unknown,
    repeats: plan.repeats,
    issued: result.issued,
    calls: result.calls,
    failedCalls: result.failedCalls,
    clientErrors: result.errors,
    clientMs: result.durationMs,
    abortsPerSecond: perSecond(result.issued, result.durationMs),
    landingMs: lastStop === undefined || firstCall === undefined ? null : lastStop - firstCall,
    startMs,
    durationMs: Date.now() - roundStart,
    ...verdict,
    workers: after.map((snapshot, index) =>
      workerFigures(snapshot, before[index] as WorkerSnapshot, rig.baselines[index] as WorkerSnapshot),
    ),
    clientHeap: result.heapUsed,
    channelsLeft: channels.slice(0, 20),
    channelsLeftCount: channels.length,
    taskChannelsSubscribed: await subscribedChannels(admin, taskChannels),
    connectedClients: clients,
    connectionsGrowth: clients - rig.baselineClients,
    queuesLeft: {
      running: await broker.stats(RUNNING_QUEUE),
      queued: await broker.stats(QUEUED_QUEUE),
    },
  };
  log(
    `round ${round}: landed ${verdict.landed}/${verdict.targets}, lost ${verdict.lost}, touched ${verdict.touched}, ` +
      `duplicates ${verdict.duplicates}, unexpected ${verdict.unexpected}, channels left ${channels.length}, ` +
      `heap ${report.workers.map((w) => `${mb(w.heapBefore)}->${mb(w.heapAfter)}`).join(' ')} MiB`,
  );
  return report;
}

/** Sends `count` messages, `ENQUEUE_CHUNK` at a time, and returns their ids in order. */
async function enqueue(count: number, send: () => Promise<{ messageId: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < count; sent += ENQUEUE_CHUNK) {
    const chunk = await Promise.all(Array.from({ length: Math.min(ENQUEUE_CHUNK, count - sent) }, send));
    for (const message of chunk) ids.push(message.messageId);
  }
  return ids;
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` elapse. @returns whether it held. */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** When each id was first sent, from the client's per-call times. */
function firstSent(plan: AbortPlan, result: ClientResult): Map<string, number> {
  const sentAt = new Map<string, number>();
  plan.calls.forEach((call, index) => {
    for (const id of call.ids) if (!sentAt.has(id)) sentAt.set(id, result.sentAt[index] ?? 0);
  });
  return sentAt;
}

/** The keyspace channels of the run's keys that someone is subscribed to (`PUBSUB CHANNELS`). */
async function keyspaceChannels(admin: Redis, prefix: string): Promise<string[]> {
  return (await admin.pubsub('CHANNELS', `__keyspace@0__:${prefix}*`)) as string[];
}

async function connectedClients(admin: Redis): Promise<number> {
  return Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))?.[1] ?? Number.NaN);
}

async function subscribedChannels(admin: Redis, channels: readonly string[]): Promise<number> {
  let subscribed = 0;
  for (let i = 0; i < channels.length; i += 1000) {
    const reply = (await admin.pubsub('NUMSUB', ...channels.slice(i, i + 1000))) as unknown[];
    for (let j = 1; j < reply.length; j += 2) if (Number(reply[j]) > 0) subscribed++;
  }
  return subscribed;
}

function workerFigures(
  after: WorkerSnapshot,
  before: WorkerSnapshot,
  baseline: WorkerSnapshot,
): WorkerRoundFigures {
  let listenerGrowth = 0;
  for (const [emitter, counts] of Object.entries(after.listeners)) {
    for (const [name, count] of Object.entries(counts)) {
      listenerGrowth += Math.max(0, count - (baseline.listeners[emitter]?.[name] ?? 0));
    }
  }
  return {
    pid: after.pid,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    watchedIds: after.watchedIds,
    listenerGrowth,
    listeners: after.listeners,
    running: after.running,
    connectionErrors: after.connectionErrors,
  };
}

function trackPidOnly(pid: number): () => Promise<void> {
  const untrack = trackPid(Number.isInteger(pid) ? pid : undefined);
  return async () => untrack();
}

function summarize(
  options: SoakOptions,
  run: Pick<
    SoakReport,
    'rounds' | 'channelsLeft' | 'connectionsLeft' | 'connectionsBeforeRounds' | 'machine'
  > & {
    startedAt: number;
  },
): SoakReport {
  const { rounds } = run;
  const sum = (pick: (round: SoakRoundReport) => number): number =>
    rounds.reduce((total, round) => total + pick(round), 0);
  const totals = {
    issued: sum((round) => round.issued),
    calls: sum((round) => round.calls),
    targets: sum((round) => round.targets),
    landed: sum((round) => round.landed),
    lost: sum((round) => round.lost),
    touched: sum((round) => round.touched),
    duplicates: sum((round) => round.duplicates),
    unexpected: sum((round) => round.unexpected),
    clientMs: sum((round) => round.clientMs),
    abortsPerSecond: 0,
  };
  totals.abortsPerSecond = perSecond(totals.issued, totals.clientMs);
  const pids = rounds[0]?.workers.map((worker) => worker.pid) ?? [];
  const heap: HeapFigures[] = pids.map((pid, index) => {
    const figures = rounds.map((round) => ({
      round: round.round,
      beforeMb: mb(round.workers[index]?.heapBefore ?? 0),
      afterMb: mb(round.workers[index]?.heapAfter ?? 0),
    }));
    const first = figures[0]?.afterMb ?? 0;
    const last = figures[figures.length - 1]?.afterMb ?? 0;
    return { pid, rounds: figures, growthMb: rounds.length > 1 ? round2(last - first) : null };
  });

  const failures: string[] = [];
  const fail = (condition: boolean, text: string): void => {
    if (condition) failures.push(text);
  };
  for (const round of rounds) {
    const at = `round ${round.round}`;
    fail(round.lost > 0, `${at}: ${round.lost} of ${round.targets} aborts lost`);
    fail(round.touched > 0, `${at}: ${round.touched} tasks nobody aborted were aborted or skipped`);
    fail(round.duplicates > 0, `${at}: ${round.duplicates} tasks ended or started more than once`);
    fail(round.unexpected > 0, `${at}: ${round.unexpected} unexpected outcomes or events`);
    fail(
      round.failedCalls > 0,
      `${at}: ${round.failedCalls} abort() calls failed (${round.clientErrors[0]})`,
    );
    fail(round.channelsLeftCount > 0, `${at}: ${round.channelsLeftCount} keyspace channels still subscribed`);
    fail(
      round.taskChannelsSubscribed > 0,
      `${at}: ${round.taskChannelsSubscribed} task channels have subscribers`,
    );
    fail(
      round.connectionsGrowth > 0,
      `${at}: Redis has ${round.connectionsGrowth} connections more than before the first round (${round.connectedClients})`,
    );
    for (const queue of ['running', 'queued'] as const) {
      const left = round.queuesLeft[queue];
      fail(
        left.length + left.pending + left.delayed > 0,
        `${at}: the ${queue} queue still holds ${JSON.stringify(left)}`,
      );
    }
    for (const worker of round.workers) {
      fail(worker.watchedIds > 0, `${at}: worker ${worker.pid} still watches ${worker.watchedIds} ids`);
      fail(
        worker.listenerGrowth > 0,
        `${at}: worker ${worker.pid} has ${worker.listenerGrowth} more listeners`,
      );
      fail(worker.running > 0, `${at}: worker ${worker.pid} still holds ${worker.running} messages`);
      fail(
        worker.connectionErrors > 0,
        `${at}: worker ${worker.pid}'s clients emitted ${worker.connectionErrors} errors`,
      );
    }
  }
  for (const figures of heap) {
    fail(
      figures.growthMb !== null && figures.growthMb > options.heapSlackMb,
      `worker ${figures.pid}: heap grew ${figures.growthMb} MiB between the first and last round (allowed ${options.heapSlackMb})`,
    );
  }
  fail(run.channelsLeft > 0, `${run.channelsLeft} keyspace channels subscribed after the processes closed`);
  fail(run.connectionsLeft > 0, `${run.connectionsLeft} connections open after the processes closed`);

  return {
    options,
    machine: run.machine,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: Date.now() - run.startedAt,
    rounds,
    totals,
    heap,
    channelsLeft: run.channelsLeft,
    connectionsBeforeRounds: run.connectionsBeforeRounds,
    connectionsLeft: run.connectionsLeft,
    ok: failures.length === 0,
    failures,
  };
}

const perSecond = (count: number, ms: number): number => (ms > 0 ? Math.round((count * 1000) / ms) : 0);
const round2 = (value: number): number => Math.round(value * 100) / 100;
const mb = (bytes: number): number => round2(bytes / MB);
