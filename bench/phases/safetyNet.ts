// The cost of the operational safety nets, measured on servers this file starts (the `safety-net` phase of
// `npm run bench`; on its own: `npx tsx bench/phases/safetyNet.ts`):
// - the periodic re-read of every watched key (commands per second per 1,000 watched ids at the default
//   notificationCheckInterval of 30 s, counted from Redis's INFO commandstats over a shortened interval);
// - the latency `replicas: 1` adds to abort() (WAIT in the same pipeline) on loopback, against one replica.
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { startRedisServer } from '../../test/support/redisServer.js';
import { trackPid } from '../cleanup.js';
import { sleep } from '../clock.js';
import { loadLibrary } from '../library.js';
import { summarize } from '../stats.js';

/** What {@link runSafetyNet} measured. */
export interface SafetyNetRun {
  /** Ids watched while the re-read was counted. */
  watched: number;
  /** Commands Redis executed per interval per watched id (GETs and EXECs of the re-read, CONFIG GETs). */
  commandsPerIntervalPerId: number;
  /** The same, as commands per second per 1,000 watched ids at the default 30 s interval. */
  commandsPerSecondPer1000At30s: number;
  /** Round trips (MULTIs) per interval per 1,000 watched ids. */
  roundTripsPerIntervalPer1000: number;
  /** abort() latency in ms, `replicas: 0` and `replicas: 1`, same master and replica, interleaved. */
  abortMs: { replicas0: ReturnType<typeof summarize>; replicas1: ReturnType<typeof summarize> };
}

const calls = (info: string): Map<string, number> =>
  new Map(
    [...info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)].map(([, name, n]) => [String(name), Number(n)]),
  );

async function commandsDuring(admin: Redis, ms: number): Promise<Map<string, number>> {
  const before = calls(await admin.info('commandstats'));
  await sleep(ms);
  const after = calls(await admin.info('commandstats'));
  return new Map([...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)]));
}

/**
 * @param watched - ids watched during the re-read measurement.
 * @param aborts - aborts timed per setting.
 */
export async function runSafetyNet(watched = 10_000, aborts = 2000): Promise<SafetyNetRun> {
  const { Abortable, RedisBackend } = await loadLibrary();
  const interval = 1000;
  const server = await startRedisServer({ args: ['--notify-keyspace-events', 'K$'] });
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
  // Killed with the benchmark if it is interrupted.
  const untrack = [trackPid(server.pid), trackPid(replica.pid)];
  try {
    const admin = server.client();
    const backend = new RedisBackend({ client: server.client(), notificationCheckInterval: interval });
    const abortable = new Abortable({ backend });
    const subscriptions = Array.from({ length: watched }, (_, i) => abortable.abort$(`w${i}`).subscribe());
    while (backend.watchedIds < watched) await sleep(10);
    await sleep(interval);
    const window = interval * 5;
    const executed = await commandsDuring(admin, window);
    const total = [...executed].filter(([name]) => name !== 'info').reduce((sum, [, n]) => sum + n, 0);
    const intervals = window / interval;
    const commandsPerIntervalPerId = total / intervals / watched;
    for (const subscription of subscriptions) subscription.unsubscribe();
    await abortable.close();

    while (!/slave0:.*state=online/.test(await admin.info('replication'))) await sleep(50);
    const backends = [0, 1].map(
      (replicas) => new Abortable({ backend: new RedisBackend({ client: server.client(), replicas }) }),
    );
    const samples: [number[], number[]] = [[], []];
    for (let i = 0; i < aborts + 200; i++) {
      for (const [index, each] of backends.entries()) {
        const started = performance.now();
        await each.abort(`a${index}-${i}`);
        if (i >= 200) samples[index as 0 | 1].push(performance.now() - started);
      }
    }
    await Promise.all(backends.map((each) => each.close()));
    return {
      watched,
      commandsPerIntervalPerId,
      commandsPerSecondPer1000At30s: (commandsPerIntervalPerId * 1000) / 30,
      roundTripsPerIntervalPer1000: ((executed.get('exec') ?? 0) / intervals / watched) * 1000,
      abortMs: { replicas0: summarize(samples[0]), replicas1: summarize(samples[1]) },
    };
  } finally {
    await replica.stop();
    await server.stop();
    for (const stop of untrack) stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runSafetyNet(), null, 2));
}
