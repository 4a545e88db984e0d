// The check-then-watch gap, at the core level: for each of 2,000 ids, `aborted(id)` resolves null, then
// the abort is issued at a randomised moment around the subscription of `abort$(id)` (before it, in the
// same tick on either side, after a microtask, a macrotask or a few milliseconds, from the same or from
// another connection, with a second watcher joining late). Every watcher must fire exactly once, and
// afterwards nothing is left: no channel, no watched id, no listener beyond the baseline.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, type AbortEvent, MemoryBackend, RedisBackend } from '../../../src/index.js';
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
  sleep,
  until,
} from './support.js';

const IDS = 2000;
const IN_FLIGHT = 100;
const SEED = 0x9a9;

const SCHEDULES = [
  'abort awaited, then subscribe',
  'abort sent, then subscribe in the same tick',
  'subscribe, then abort in the same tick',
  'subscribe, abort after a microtask',
  'subscribe, abort after a macrotask',
  'subscribe, abort after 0-3 ms',
  'subscribe, abort from another connection after 0-3 ms',
  'subscribe, abort, a second watcher joins after 0-3 ms',
] as const;
type Schedule = (typeof SCHEDULES)[number];

interface Outcome {
  readonly id: string;
  readonly schedule: Schedule;
  readonly fired: number[];
}

/**
 * Runs the 2,000 checks-then-watches through `abortable` (aborts through `writer`, or `abortable` itself),
 * `IN_FLIGHT` at a time, and returns how often each watcher fired.
 */
async function runGap(abortable: Abortable, writer: Abortable, random: () => number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const subscriptions: Subscription[] = [];
  // The whole plan is drawn up front, so the same seed gives the same schedule and delay to every id.
  const plan = Array.from({ length: IDS }, () => ({
    schedule: SCHEDULES[Math.floor(random() * SCHEDULES.length)] as Schedule,
    delayMs: Math.floor(random() * 4),
  }));

  const one = async (index: number): Promise<void> => {
    const id = `gap-${index}`;
    const { schedule, delayMs } = plan[index] as (typeof plan)[number];
    const delay = (): Promise<unknown> =>
      delayMs === 0 ? new Promise((resolve) => setImmediate(resolve)) : sleep(delayMs);
    const outcome: Outcome = { id, schedule, fired: [0] };
    outcomes.push(outcome);
    // The worker's pre-start check.
    expect(await abortable.aborted(id)).toBeNull();

    const completions: Array<Promise<void>> = [];
    const watch = (slot: number): void => {
      completions.push(
        new Promise<void>((resolve, reject) => {
          subscriptions.push(
            abortable.abort$(id).subscribe({
              next: (event: AbortEvent) => {
                if (event.id !== id) reject(new Error(`${id} received the event of ${event.id}`));
                outcome.fired[slot] = (outcome.fired[slot] ?? 0) + 1;
              },
              error: reject,
              complete: resolve,
            }),
          );
        }),
      );
    };
    const abortNow = (via: Abortable = abortable): Promise<void> => via.abort(id, { reason: schedule });

    switch (schedule) {
      case 'abort awaited, then subscribe':
        await abortNow();
        watch(0);
        break;
      case 'abort sent, then subscribe in the same tick': {
        const sent = abortNow();
        watch(0);
        await sent;
        break;
      }
      case 'subscribe, then abort in the same tick':
        watch(0);
        await abortNow();
        break;
      case 'subscribe, abort after a microtask':
        watch(0);
        await Promise.resolve();
        await abortNow();
        break;
      case 'subscribe, abort after a macrotask':
        watch(0);
        await new Promise((resolve) => setImmediate(resolve));
        await abortNow();
        break;
      case 'subscribe, abort after 0-3 ms':
        watch(0);
        await delay();
        await abortNow();
        break;
      case 'subscribe, abort from another connection after 0-3 ms':
        watch(0);
        await delay();
        await abortNow(writer);
        break;
      case 'subscribe, abort, a second watcher joins after 0-3 ms': {
        watch(0);
        outcome.fired.push(0);
        const sent = abortNow(writer);
        await delay();
        watch(1);
        await sent;
        break;
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(completions),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${id} (${schedule}): abort$ did not fire within 5 s`)),
          5000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };

  let next = 0;
  const lanes = Array.from({ length: IN_FLIGHT }, async () => {
    while (next < IDS) await one(next++);
  });
  try {
    await Promise.all(lanes);
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
  return outcomes;
}

function expectEveryWatcherFiredOnce(outcomes: readonly Outcome[]): void {
  expect(outcomes).toHaveLength(IDS);
  const wrong = outcomes.filter((outcome) => outcome.fired.some((count) => count !== 1));
  expect(wrong.map(({ id, schedule, fired }) => `${id} (${schedule}): fired ${fired.join('/')}`)).toEqual([]);
  // Every schedule was exercised.
  expect(new Set(outcomes.map((outcome) => outcome.schedule)).size).toBe(SCHEDULES.length);
}

describe('check-then-watch gap under stress (core level)', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  const cleanups: Array<() => unknown> = [];

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => server.stop());

  it('on Redis: 2,000 ids, aborts timed around the watch; each fires once, nothing remains', async () => {
    const client = server.client();
    const subscriberOf = captureDuplicates(client);
    const backend = new RedisBackend({ client, prefix: `gap:${randomUUID().slice(0, 8)}:` });
    const abortable = new Abortable({ backend });
    const writerBackend = new RedisBackend({ client: server.client(), prefix: backend.prefix });
    const writer = new Abortable({ backend: writerBackend });
    cleanups.push(
      () => abortable.close(),
      () => writer.close(),
    );
    await backend.ready();
    const subscriber = subscriberOf();
    if (subscriber === undefined) throw new Error('the backend opened no subscriber connection');
    const clientBaseline = listenerCounts(client, CLIENT_EVENTS);
    const subscriberBaseline = listenerCounts(subscriber, SUBSCRIBER_EVENTS);

    const outcomes = await runGap(abortable, writer, seededRandom(SEED));
    expectEveryWatcherFiredOnce(outcomes);

    // Nothing left: every channel released, no watched id, listeners back to the baseline.
    const channels = outcomes.map(({ id }) => channelOf(0, backend.prefix + id));
    await until(
      async () => [...(await numsub(admin, channels)).values()].every((count) => count === 0),
      'every channel back to 0 subscribers',
    );
    expect(await channelsUnder(admin, 0, backend.prefix)).toEqual([]);
    expect(backend.watchedIds).toBe(0);
    expect(listenerCounts(client, CLIENT_EVENTS)).toEqual(clientBaseline);
    expect(listenerCounts(subscriber, SUBSCRIBER_EVENTS)).toEqual(subscriberBaseline);
    expect(Number(await admin.pubsub('NUMPAT'))).toBe(0);
  }, 60_000);

  it('on memory: the same 2,000 schedules; each fires once, nothing remains', async () => {
    const backend = new MemoryBackend();
    const abortable = new Abortable({ backend });
    cleanups.push(() => abortable.close());
    const outcomes = await runGap(abortable, abortable, seededRandom(SEED));
    expectEveryWatcherFiredOnce(outcomes);
    expect(backend.watchedIds).toBe(0);
  }, 60_000);
});
