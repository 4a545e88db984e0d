import { sleep, withTimeout } from '../clock.js';
import type { LatencySummary } from '../stats.js';
import { summarize } from '../stats.js';
import type { RawArrival } from '../worker/rawSubscriber.js';
import { startRig } from './rig.js';

/** The machine's floor for the notification path, without the library. */
export interface FloorRun {
  /** Client `SET` called -> keyspace message in the worker process: one hop, ms. */
  notify: LatencySummary;
  /** Client `SET` called -> the worker's `GET` of the key returned: the two hops the library's design needs. */
  notifyThenGet: LatencySummary;
}

const KEYS = 100;

/**
 * Measures the floor under the abort latency with plain ioredis in the same process layout and with the
 * same random pauses as the latency runs: a client process `SET`s a key, a worker process subscribed to
 * its keyspace channel notes the message and then `GET`s the key.
 *
 * @param samples - how many sets.
 * @param gapMaxMs - pause before each, uniform in [0, gapMaxMs].
 * @returns the one-hop and two-hop percentiles.
 */
export async function runFloor(samples: number, gapMaxMs: number): Promise<FloorRun> {
  const rig = await startRig({ system: 'ours' });
  try {
    const [worker] = rig.workers;
    const client = rig.client;
    if (worker === undefined || client === undefined) throw new Error('rig without worker or client');
    const keys = Array.from({ length: KEYS }, (_, i) => `floor:${i}`);
    const waiters = new Map<string, (arrival: RawArrival) => void>();
    worker.onEvent((name, data) => {
      if (name === 'raw') waiters.get((data as RawArrival).key)?.(data as RawArrival);
    });
    await worker.call('rawSubscribe', { port: rig.redis.port, keys });
    const notify: number[] = [];
    const notifyThenGet: number[] = [];
    for (let i = 0; i < samples; i++) {
      await sleep(Math.random() * gapMaxMs);
      const key = keys[i % KEYS] as string;
      const arrived = new Promise<RawArrival>((resolve) => waiters.set(key, resolve));
      const { calledAt } = await client.call('rawSet', { port: rig.redis.port, key });
      const arrival = await withTimeout(arrived, 5000, `keyspace message for ${key}`);
      waiters.delete(key);
      notify.push(arrival.notifiedAt - calledAt);
      notifyThenGet.push(arrival.readAt - calledAt);
    }
    return { notify: summarize(notify), notifyThenGet: summarize(notifyThenGet) };
  } finally {
    await rig.stop();
  }
}
