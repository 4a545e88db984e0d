// Resource release under churn: 10,000 subscribe/unsubscribe cycles of abort$ and abortSignal (released,
// disposed, with a shared parent signal, with a parent that aborts, some fired by a real abort), on Redis
// and in memory at the same time. Afterwards no channel of ours, no watched id, no listener on any parent
// signal or client beyond the baseline; and over repeats of the run the retained heap stays roughly flat.
import { randomUUID } from 'node:crypto';
import { getEventListeners, setMaxListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Abort,
  Abortable,
  MemoryBackend,
  RedisBackend,
  type WatchedAbortSignal,
} from '../../../src/index.js';
import { type RedisServerHandle, startRedisServer } from '../../support/redisServer.js';
import {
  CLIENT_EVENTS,
  captureDuplicates,
  channelOf,
  channelsUnder,
  listenerCounts,
  numsub,
  SUBSCRIBER_EVENTS,
  seededRandom,
  until,
} from './support.js';

const CYCLES = 10_000;
const ROUND = 100;
const RUNS = 4; // the first warms up; growth is measured from its end to the end of the last
const ID_POOL = 400; // non-firing cycles reuse ids, so one id is watched, released and watched again

const KINDS = [
  'abort$ unsubscribed',
  'abortSignal released',
  'abortSignal disposed',
  'abortSignal with the round’s parent, released',
  'abortSignal whose own parent aborts',
  'abort$ fired by an abort',
  'abortSignal with the round’s parent, fired by an abort',
] as const;
type Kind = (typeof KINDS)[number];
const FIRING: ReadonlySet<Kind> = new Set([
  'abort$ fired by an abort',
  'abortSignal with the round’s parent, fired by an abort',
]);

/** The gc of this process: --expose-gc turned on at run time (vitest runs each file in its own fork). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

interface ChurnStats {
  cycles: number;
  fired: number;
  parents: AbortSignal[];
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** One run of CYCLES cycles through `abortable`; the kind of each cycle comes from a seeded plan. */
async function churn(
  abortable: Abortable,
  label: string,
  seed: number,
  settle: () => Promise<void>,
): Promise<ChurnStats> {
  const random = seededRandom(seed);
  const plan = Array.from({ length: CYCLES }, () => {
    // Firing cycles are rarer: each costs a real abort.
    const kind =
      random() < 0.06
        ? (KINDS[5 + Math.floor(random() * 2)] as Kind)
        : (KINDS[Math.floor(random() * 5)] as Kind);
    return { kind, releaseInSameTick: random() < 0.2 };
  });
  const stats: ChurnStats = { cycles: 0, fired: 0, parents: [] };

  for (let start = 0; start < CYCLES; start += ROUND) {
    const roundParent = new AbortController();
    // One parent shared by up to ROUND live signals: above 10 listeners Node warns about a possible leak
    // (MaxListenersExceededWarning), which is expected here; a user sharing a parent widely must do this too.
    setMaxListeners(ROUND + 1, roundParent.signal);
    stats.parents.push(roundParent.signal);
    const releases: Array<() => void> = [];
    const sameTick: Array<() => void> = [];
    const firing: Array<{ id: string; done: Promise<void> }> = [];

    for (let cycle = start; cycle < start + ROUND; cycle++) {
      const { kind, releaseInSameTick } = plan[cycle] as (typeof plan)[number];
      const id = FIRING.has(kind) ? `${label}-fire-${seed}-${cycle}` : `${label}-pool-${cycle % ID_POOL}`;
      stats.cycles++;
      const later = releaseInSameTick ? sameTick : releases;
      switch (kind) {
        case 'abort$ unsubscribed': {
          const subscription: Subscription = abortable.abort$(id).subscribe();
          later.push(() => subscription.unsubscribe());
          break;
        }
        case 'abortSignal released': {
          const signal = abortable.abortSignal(id);
          later.push(() => signal.release());
          break;
        }
        case 'abortSignal disposed': {
          const signal = abortable.abortSignal(id);
          later.push(() => signal[Symbol.dispose]());
          break;
        }
        case 'abortSignal with the round’s parent, released': {
          const signal = abortable.abortSignal(id, { signal: roundParent.signal });
          later.push(() => signal.release());
          break;
        }
        case 'abortSignal whose own parent aborts': {
          const own = new AbortController();
          stats.parents.push(own.signal);
          const signal = abortable.abortSignal(id, { signal: own.signal });
          later.push(() => {
            own.abort('done');
            if (signal.reason !== 'done') throw new Error(`${id}: the parent's reason was not passed on`);
          });
          break;
        }
        case 'abort$ fired by an abort': {
          const done = new Promise<void>((resolve, reject) => {
            abortable.abort$(id).subscribe({ complete: resolve, error: reject });
          });
          firing.push({ id, done });
          break;
        }
        case 'abortSignal with the round’s parent, fired by an abort': {
          const signal: WatchedAbortSignal = abortable.abortSignal(id, { signal: roundParent.signal });
          const done = new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          ).then(() => {
            if (!(signal.reason instanceof Abort))
              throw new Error(`${id}: aborted with ${String(signal.reason)}`);
          });
          firing.push({ id, done });
          break;
        }
      }
    }
    // Released before any SUBSCRIBE went out: the registry must cancel them without a trace.
    for (const release of sameTick) release();
    await settle();
    if (firing.length > 0) {
      await abortable.abort(
        firing.map(({ id }) => id),
        { abortTtl: 10_000 },
      );
      await Promise.all(firing.map(({ done }) => done));
      stats.fired += firing.length;
    }
    for (const release of releases) release();
  }
  return stats;
}

describe('resource release under churn (Redis and memory, interleaved)', () => {
  let server: RedisServerHandle;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterAll(() => server.stop());

  it(`${CYCLES.toLocaleString('en')} cycles per backend, ${RUNS} times: nothing remains and the heap stays flat`, async () => {
    const gc = exposeGc();
    const client = server.client();
    const subscriberOf = captureDuplicates(client);
    const redis = new RedisBackend({ client, prefix: `churn:${randomUUID().slice(0, 8)}:` });
    const memory = new MemoryBackend();
    const onRedis = new Abortable({ backend: redis });
    const inMemory = new Abortable({ backend: memory });
    try {
      await redis.ready();
      const subscriber = subscriberOf();
      if (subscriber === undefined) throw new Error('no subscriber connection');
      const clientBaseline = listenerCounts(client, CLIENT_EVENTS);
      const subscriberBaseline = listenerCounts(subscriber, SUBSCRIBER_EVENTS);

      // Redis: every tenth round waits until the round's channels are really subscribed, so SUBSCRIBE and
      // UNSUBSCRIBE round trips happen, not only cancellations inside one tick.
      let round = 0;
      const settleRedis = async (): Promise<void> => {
        await new Promise((resolve) => setImmediate(resolve));
        if (++round % 10 === 0) {
          await until(
            async () => (await channelsUnder(admin, 0, redis.prefix)).length > 0,
            'round subscribed',
          );
        }
      };
      const settleMemory = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

      const heap: number[] = [];
      const measure = (): void => {
        gc();
        gc();
        heap.push(process.memoryUsage().heapUsed);
      };
      measure();
      for (let run = 0; run < RUNS; run++) {
        const [redisStats, memoryStats] = await Promise.all([
          churn(onRedis, 'r', 1000 + run, settleRedis),
          churn(inMemory, 'm', 2000 + run, settleMemory),
        ]);
        expect(redisStats.cycles).toBe(CYCLES);
        expect(memoryStats.cycles).toBe(CYCLES);
        expect(redisStats.fired).toBeGreaterThan(0);

        // Nothing of ours remains.
        await until(
          async () => (await channelsUnder(admin, 0, redis.prefix)).length === 0,
          'channels released',
        );
        const pooled = Array.from({ length: ID_POOL }, (_, i) => channelOf(0, `${redis.prefix}r-pool-${i}`));
        expect([...(await numsub(admin, pooled)).values()].every((count) => count === 0)).toBe(true);
        expect(redis.watchedIds).toBe(0);
        expect(memory.watchedIds).toBe(0);
        const parents = [...redisStats.parents, ...memoryStats.parents];
        expect(parents.filter((parent) => getEventListeners(parent, 'abort').length > 0)).toEqual([]);
        expect(listenerCounts(client, CLIENT_EVENTS)).toEqual(clientBaseline);
        expect(listenerCounts(subscriber, SUBSCRIBER_EVENTS)).toEqual(subscriberBaseline);
        expect(Number(await admin.pubsub('NUMPAT'))).toBe(0);
        measure();
      }

      const afterWarmUp = heap[1] as number;
      const last = heap[heap.length - 1] as number;
      const perRun = (last - afterWarmUp) / (RUNS - 1);
      console.info(
        `[churn] heapUsed after gc: start ${mb(heap[0] as number)}, ${heap
          .slice(1)
          .map((bytes, run) => `after run ${run + 1} ${mb(bytes)}`)
          .join(
            ', ',
          )}; growth from run 1 to run ${RUNS}: ${mb(last - afterWarmUp)} (${mb(perRun)} per run of ` +
          `${(2 * CYCLES).toLocaleString('en')} cycles); the memory backend holds ${memory.size} live marks ` +
          '(abortTtl 10 s) of the fired cycles, part of that growth',
      );
      // Loose on purpose (a retained closure per cycle would be ~2 MB per run): flat means well under that.
      expect(perRun).toBeLessThan(1.5 * 1024 * 1024);
    } finally {
      await onRedis.close();
      await inMemory.close();
    }
  }, 120_000);
});
