/**
 * A worker process of the benchmark (`node --import tsx --expose-gc bench/worker/worker.ts`, started by
 * the benchmark): runs abortable tasks against one system (this library or the polling baseline) and
 * reports when aborted tasks are torn down. Driven by the parent over IPC; see {@link WorkerApi}.
 */
import { now, withTimeout } from '../clock.js';
import { startProfiling, stopProfiling } from '../profiler.js';
import type { SystemName, TeardownEvent } from '../protocol.js';
import { emitEvent, serve } from '../serve.js';
import { baselineSystem } from './baselineSystem.js';
import { oursSystem } from './oursSystem.js';
import { type RawArrival, startRawSubscriber } from './rawSubscriber.js';
import { type PickedTask, type TaskMode, type TaskShape, TaskTable } from './TaskTable.js';
import type { WorkerSystem } from './WorkerSystem.js';

/** What the parent tells a worker at start. */
export interface WorkerInit {
  system: SystemName;
  port: number;
  /** Key prefix (this library's `prefix`, the baseline's `id_to_key` prefix). */
  prefix: string;
  /** Prefix of the task ids this worker generates (unique per worker). */
  idPrefix: string;
  /** Send a `teardown` event per aborted task (latency runs); otherwise only count them. */
  reportEach: boolean;
  /** This library on Redis Cluster (`port` is one node's): an ioredis `Cluster` client. @default false */
  cluster?: boolean;
}

/** Teardowns counted since the last {@link WorkerApi.awaitTeardowns}. */
export interface TeardownCount {
  count: number;
  firstAt: number;
  lastAt: number;
}

/** CPU time this process used, in ms. */
export interface CpuTime {
  userMs: number;
  systemMs: number;
}

let system: WorkerSystem | undefined;
let tasks: TaskTable | undefined;
let reportEach = false;
let churnTimer: NodeJS.Timeout | undefined;
let counted: TeardownCount = { count: 0, firstAt: 0, lastAt: 0 };
let countWaiter: { target: number; resolve(): void } | undefined;
let closeRaw: (() => void) | undefined;

const onAbortTeardown = (id: string, at: number): void => {
  if (counted.count === 0) counted.firstAt = at;
  counted.count++;
  counted.lastAt = at;
  if (reportEach) emitEvent('teardown', { id, at } satisfies TeardownEvent);
  if (countWaiter !== undefined && counted.count >= countWaiter.target) countWaiter.resolve();
};

const table = (): TaskTable => {
  if (tasks === undefined) throw new Error('init first');
  return tasks;
};

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  collect();
};

const api = {
  /** Connects to Redis and starts the system. */
  async init(init: WorkerInit): Promise<void> {
    system =
      init.system === 'ours'
        ? await oursSystem({ port: init.port, prefix: init.prefix, cluster: init.cluster ?? false })
        : await baselineSystem(init.port, init.prefix);
    tasks = new TaskTable({ system, onAbortTeardown, idPrefix: init.idPrefix });
    reportEach = init.reportEach;
  },

  /**
   * Starts `count` tasks and waits until all are watched for sure.
   * @returns how long that took from the first start, in ms (until the timeout when `settled` is false),
   *   the ids watched, and the errors the system reported so far.
   */
  async spawn(arg: {
    count: number;
    mode: TaskMode;
    shape: TaskShape;
    timeoutMs: number;
  }): Promise<{ watchMs: number; settled: boolean; watched: number; errorsSeen: number }> {
    const started = now();
    for (let i = 0; i < arg.count; i++) table().start(arg.mode, arg.shape);
    const settledAt = arg.mode === 'task' ? now() : await system?.settled(arg.timeoutMs);
    return {
      watchMs: (settledAt ?? now()) - started,
      settled: settledAt !== undefined,
      watched: system?.watchedIds ?? 0,
      errorsSeen: system?.errorsSeen ?? 0,
    };
  },

  /** Starts (rate > 0) or stops churn: a new task every 1000/rate ms, finishing an old one above `target`. */
  churn(arg: { ratePerSec: number; target: number }): void {
    clearInterval(churnTimer);
    churnTimer = undefined;
    if (arg.ratePerSec <= 0) return;
    churnTimer = setInterval(() => {
      table().start('full', 'mixed');
      if (table().size > arg.target) table().finishRandomOld();
    }, 1000 / arg.ratePerSec);
  },

  /** Picks (and reserves) a running task younger than 1 s, or older. */
  pick(arg: { young: boolean }): PickedTask | null {
    return table().pick(arg.young);
  },

  /** Finishes every task normally. */
  finishAll(): number {
    return table().finishAll();
  },

  /** The ids of every running task. */
  ids(): string[] {
    return table().ids();
  },

  /** Heap in use after two full garbage collections. */
  heap(): number {
    gc();
    return process.memoryUsage().heapUsed;
  },

  /** CPU time used so far. */
  cpu(): CpuTime {
    const usage = process.cpuUsage();
    return { userMs: usage.user / 1000, systemMs: usage.system / 1000 };
  },

  /** Starts CPU profiling (in-process inspector). */
  profileStart(): Promise<void> {
    return startProfiling();
  },

  /** Stops CPU profiling and writes the profile to `file`. @returns the file. */
  profileStop(arg: { file: string }): Promise<string | undefined> {
    return stopProfiling(arg.file);
  },

  /** This process's clock (for the skew check). */
  clock(): number {
    return now();
  },

  /** Resets the teardown count. */
  resetTeardowns(): void {
    counted = { count: 0, firstAt: 0, lastAt: 0 };
  },

  /** Resolves once `count` aborted tasks were torn down since the reset (or after `timeoutMs`, with what came). */
  async awaitTeardowns(arg: { count: number; timeoutMs: number }): Promise<TeardownCount> {
    if (counted.count < arg.count) {
      await withTimeout(
        new Promise<void>((resolve) => {
          countWaiter = { target: arg.count, resolve };
        }),
        arg.timeoutMs,
        'teardowns',
      ).catch(() => {});
      countWaiter = undefined;
    }
    return { ...counted };
  },

  /** Starts the raw (library-free) subscriber on `keys`; each arrival is sent as a `raw` event. */
  async rawSubscribe(arg: { port: number; keys: string[] }): Promise<void> {
    closeRaw = await startRawSubscriber(arg.port, arg.keys, (arrival: RawArrival) =>
      emitEvent('raw', arrival),
    );
  },

  /** Stops everything and exits (so `--cpu-prof` writes its profile). */
  async close(): Promise<void> {
    clearInterval(churnTimer);
    closeRaw?.();
    tasks?.finishAll();
    await system?.close();
    setImmediate(() => process.exit(0));
  },
};

/** The methods a worker process serves. */
export type WorkerApi = typeof api;

serve(api);
