/**
 * A client process of the benchmark (`node --import tsx bench/client/client.ts`, started by the
 * benchmark): sends aborts and makes pre-start checks against one system, timing them on the shared
 * clock. Driven by the parent over IPC; see {@link ClientApi}.
 */
import { Redis } from 'ioredis';
import { now } from '../clock.js';
import { startProfiling, stopProfiling } from '../profiler.js';
import type { SystemName } from '../protocol.js';
import { serve } from '../serve.js';
import { type LatencySummary, summarize } from '../stats.js';
import { type AbortSender, abortSender } from './AbortSender.js';

/** Result of {@link ClientApi.abortAll}. */
export interface AbortAllResult {
  /** When the first `abort()` was called (shared clock, ms). */
  firstCallAt: number;
  /** When the last `abort()` promise resolved. */
  lastResolvedAt: number;
  /** Ids aborted. */
  count: number;
}

/** Result of {@link ClientApi.skipCheck}. */
export interface SkipCheckResult {
  /** One check at a time: per-call round trip. */
  sequential: LatencySummary & { perSec: number };
  /** `concurrency` checks in flight: per-call time and total rate. */
  concurrent: LatencySummary & { perSec: number; concurrency: number };
}

let sender: AbortSender | undefined;
let raw: Redis | undefined;
const use = (): AbortSender => {
  if (sender === undefined) throw new Error('init first');
  return sender;
};

/** Runs `count` checks with at most `concurrency` in flight; resolves per-call times and the total time. */
async function timeChecks(
  ids: readonly string[],
  concurrency: number,
): Promise<{ times: number[]; elapsedMs: number }> {
  const times: number[] = [];
  let next = 0;
  const started = now();
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const start = now();
      await use().isAborted(id);
      times.push(now() - start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return { times, elapsedMs: now() - started };
}

const api = {
  /** Connects. */
  async init(arg: { system: SystemName; port: number; prefix: string }): Promise<void> {
    sender = await abortSender(arg.system, arg.port, arg.prefix);
  },

  /** Aborts one id. @returns when `abort()` was called and when its promise resolved (shared clock). */
  async abort(arg: { id: string }): Promise<{ calledAt: number; resolvedAt: number }> {
    const calledAt = now();
    await use().abort(arg.id);
    return { calledAt, resolvedAt: now() };
  },

  /** Plain ioredis `SET key x PX 10000`, for the floor measurement. @returns when it was called. */
  async rawSet(arg: { port: number; key: string }): Promise<{ calledAt: number }> {
    if (raw === undefined) {
      raw = new Redis({ host: '127.0.0.1', port: arg.port });
      await raw.ping(); // connected before the first timed SET
    }
    const calledAt = now();
    await raw.set(arg.key, 'x', 'PX', 10_000);
    return { calledAt };
  },

  /** Aborts every id as fast as it can: batches of `batchSize`, `concurrency` batches in flight. */
  async abortAll(arg: { ids: string[]; batchSize: number; concurrency: number }): Promise<AbortAllResult> {
    const batches: string[][] = [];
    for (let i = 0; i < arg.ids.length; i += arg.batchSize) batches.push(arg.ids.slice(i, i + arg.batchSize));
    let next = 0;
    const firstCallAt = now();
    const lane = async (): Promise<void> => {
      while (next < batches.length) await use().abort(batches[next++] as string[]);
    };
    await Promise.all(Array.from({ length: arg.concurrency }, lane));
    return { firstCallAt, lastResolvedAt: now(), count: arg.ids.length };
  },

  /** Times the pre-start check on `ids` (unmarked, or a share marked first), one at a time and concurrently. */
  async skipCheck(arg: { ids: string[]; concurrency: number }): Promise<SkipCheckResult> {
    await timeChecks(arg.ids.slice(0, 200), 1); // warm-up
    const sequential = await timeChecks(arg.ids, 1);
    const concurrent = await timeChecks(arg.ids, arg.concurrency);
    return {
      sequential: {
        ...summarize(sequential.times),
        perSec: (arg.ids.length / sequential.elapsedMs) * 1000,
      },
      concurrent: {
        ...summarize(concurrent.times),
        perSec: (arg.ids.length / concurrent.elapsedMs) * 1000,
        concurrency: arg.concurrency,
      },
    };
  },

  /** CPU time used so far, in ms. */
  cpu(): { userMs: number; systemMs: number } {
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

  /** Closes and exits. */
  async close(): Promise<void> {
    await sender?.close();
    raw?.disconnect();
    setImmediate(() => process.exit(0));
  },
};

/** The methods a client process serves. */
export type ClientApi = typeof api;

serve(api);
