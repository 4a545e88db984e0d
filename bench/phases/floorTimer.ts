import { withTimeout } from '../clock.js';
import { round3 } from '../stats.js';
import type { RawArrival } from '../worker/rawSubscriber.js';
import type { Rig } from './rig.js';

/** One measured floor sample: the machine's notification path with plain ioredis, no library. */
export interface FloorSample {
  /** Client `SET` called -> keyspace message in the worker process: one hop, ms. */
  oneHopMs: number;
  /** Client `SET` called -> the worker's `GET` of the key returned: two hops, ms. */
  twoHopMs: number;
}

/**
 * Sets up the floor measurement on a rig and returns its timer: the worker process subscribes (plain
 * ioredis, a connection of its own) to the keyspace channels of `keys` keys `floor:<n>`, outside the
 * library's prefix; each sample is a client process `SET` of one of them (plain ioredis, a connection of
 * its own) timed to the keyspace message in the worker (one hop) and to the `GET` that follows (two hops).
 * The floor runs in the same processes as the library's watches, so both see the same machine.
 *
 * @example
 * ```ts
 * const floorOnce = await floorTimer(rig, 10_000);
 * const { oneHopMs, twoHopMs } = await floorOnce();
 * ```
 * @param rig - a rig on a Redis with keyspace notifications on (its first worker, and its client).
 * @param keys - how many keys (channels) the floor subscriber holds; samples cycle through them.
 * @returns a function that makes one floor sample.
 */
export async function floorTimer(rig: Rig, keys: number): Promise<() => Promise<FloorSample>> {
  const [worker] = rig.workers;
  const client = rig.client;
  if (worker === undefined || client === undefined) throw new Error('rig without worker or client');
  const names = Array.from({ length: keys }, (_, i) => `floor:${i}`);
  const waiters = new Map<string, (arrival: RawArrival) => void>();
  worker.onEvent((name, data) => {
    if (name === 'raw') waiters.get((data as RawArrival).key)?.(data as RawArrival);
  });
  await worker.call('rawSubscribe', { port: rig.redis.port, keys: names });
  let next = 0;
  const floorOnce = async (): Promise<FloorSample> => {
    const key = names[next++ % names.length] as string;
    const arrived = new Promise<RawArrival>((resolve) => waiters.set(key, resolve));
    try {
      const { calledAt } = await client.call('rawSet', { port: rig.redis.port, key });
      const arrival = await withTimeout(arrived, 5000, `keyspace message for ${key}`);
      return { oneHopMs: round3(arrival.notifiedAt - calledAt), twoHopMs: round3(arrival.readAt - calledAt) };
    } finally {
      waiters.delete(key);
    }
  };
  await floorOnce(); // warm-up: connections and code paths, not timed
  return floorOnce;
}
