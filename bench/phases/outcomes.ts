import { Redis } from 'ioredis';
import { firstValueFrom, type Subscription } from 'rxjs';
import { now, sleep } from '../clock.js';
import { loadLibrary } from '../library.js';
import { startBenchRedis } from '../redisServer.js';
import { type LatencySummary, round3, summarize } from '../stats.js';

/** What confirmed aborts cost (one process, two Redis connections per side). */
export interface OutcomesRun {
  samples: number;
  /** `abortable.abort(id)`, sequential: one `SET` of a mark, ms. */
  abortWrite: LatencySummary;
  /** `abortable.reportOutcome(...)`, sequential: the worker's extra write per aborted task, ms. */
  reportWrite: LatencySummary;
  /** reportWrite p50 / abortWrite p50: the report costs what an abort costs (both one `SET`). */
  reportToAbortP50: number;
  /** `abort(id)` called -> the stand-in worker's `abort$(id)` fires (what the latency phase measures), ms. */
  abortDelivery: LatencySummary;
  /** `abortAndWait(id)` called -> it resolves with the stand-in worker's outcome, ms. */
  abortAndWait: LatencySummary;
  /** abortAndWait p50 / abortDelivery p50: the price of the confirmation on top of the abort. */
  roundTripToDeliveryP50: number;
  /** `reportOutcome` calls per second with 64 in flight (a burst of aborted tasks). */
  reportsPerSec: number;
  /** `abort` calls per second with 64 in flight, for comparison. */
  abortsPerSec: number;
}

const IN_FLIGHT = 64;

/** Runs `call(i)` for i in [0, count) with `IN_FLIGHT` at once; resolves the calls per second. */
async function rate(count: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await call(next++);
    }),
  );
  return Math.round(count / ((now() - started) / 1000));
}

/**
 * Measures confirmed aborts on a fresh Redis: the worker's report write next to an abort write (the cost
 * on the abort hot path is that one extra write per aborted task), and the `abortAndWait` round trip next
 * to plain abort delivery. A "client" and a stand-in "worker" (an `Abortable` that watches `abort$(id)`
 * and reports `'stopped'` when it fires) each have their own connections, in this one process, so both
 * round trips share the same event loop and compare fairly; across processes add the wake-up of the other
 * process (see the latency phase).
 *
 * @param samples - sequential calls per measurement.
 * @returns the percentiles and ratios.
 */
export async function runOutcomes(samples: number): Promise<OutcomesRun> {
  const { Abortable, RedisBackend } = await loadLibrary();
  const redis = await startBenchRedis({ notifyKeyspaceEvents: 'K$' });
  const url = `redis://127.0.0.1:${redis.port}`;
  const admin = new Redis(url);
  const connections = [new Redis(url), new Redis(url)];
  const [clientConnection, workerConnection] = connections as [Redis, Redis];
  const client = new Abortable({ backend: new RedisBackend({ client: clientConnection }) });
  const worker = new Abortable({ backend: new RedisBackend({ client: workerConnection }) });
  const watches: Subscription[] = [];
  try {
    const time = async (call: (i: number) => Promise<unknown>): Promise<LatencySummary> => {
      const durations: number[] = [];
      for (let i = 0; i < samples; i++) {
        const started = now();
        await call(i);
        durations.push(now() - started);
      }
      return summarize(durations);
    };
    await client.abort('warm-up');
    await worker.reportOutcome({ id: 'warm-up', outcome: 'stopped' });
    const abortWrite = await time((i) => client.abort(`write-${i}`));
    const reportWrite = await time((i) =>
      worker.reportOutcome({ id: `write-${i}`, outcome: 'stopped', workerId: 'bench' }),
    );

    // The stand-in worker watches every id first, like running tasks; delivery ids only note the time.
    const fired = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      watches.push(worker.abort$(`deliver-${i}`).subscribe(() => fired.set(`deliver-${i}`, now())));
      watches.push(
        worker.abort$(`confirm-${i}`).subscribe((event) => {
          void worker.reportOutcome({ id: event.id, outcome: 'stopped', workerId: 'bench' });
        }),
      );
    }
    await (worker.backend as InstanceType<typeof RedisBackend>).ready();
    while (((await admin.pubsub('CHANNELS', '__keyspace@0__:rx-abort:*')) as string[]).length < 2 * samples) {
      await sleep(20);
    }
    const delivery: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = `deliver-${i}`;
      const started = now();
      await client.abort(id);
      while (!fired.has(id)) await new Promise((resolve) => setImmediate(resolve));
      delivery.push((fired.get(id) as number) - started);
    }
    const abortDelivery = summarize(delivery);
    const abortAndWait = await time(async (i) => {
      const outcome = await client.abortAndWait(`confirm-${i}`, { timeout: 5000 });
      if (outcome === null) throw new Error(`no outcome for confirm-${i}`);
    });
    const reportsPerSec = await rate(samples * 10, (i) =>
      worker.reportOutcome({ id: `burst-${i}`, outcome: 'skipped' }),
    );
    const abortsPerSec = await rate(samples * 10, (i) => client.abort(`burst-${i}`));
    await firstValueFrom(client.outcome$('burst-0'));
    return {
      samples,
      abortWrite,
      reportWrite,
      reportToAbortP50: round3(reportWrite.p50Ms / abortWrite.p50Ms),
      abortDelivery,
      abortAndWait,
      roundTripToDeliveryP50: round3(abortAndWait.p50Ms / abortDelivery.p50Ms),
      reportsPerSec,
      abortsPerSec,
    };
  } finally {
    for (const watch of watches) watch.unsubscribe();
    await client.close();
    await worker.close();
    for (const connection of [admin, ...connections]) connection.disconnect();
    await redis.stop();
  }
}
