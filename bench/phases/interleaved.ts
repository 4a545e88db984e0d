import { now, sleep } from '../clock.js';
import { RedisInfo } from '../redisInfo.js';
import { type LatencySummary, round3, summarize } from '../stats.js';
import { abortTimer } from './abortTimer.js';
import { floorTimer } from './floorTimer.js';
import { startRig } from './rig.js';

/** Settings of the interleaved floor-vs-library run. */
export interface InterleavedSettings {
  /** Watched ids in the worker (tasks of this library), and keys held by the floor subscriber. */
  watched: number;
  /** Pairs per repetition: each pair is one floor sample and one abort of this library. */
  pairs: number;
  /** Repetitions, each on a fresh rig (Redis and processes). */
  repetitions: number;
  /** Pause before every sample (floor and library alike), uniform in [0, gapMaxMs]. */
  gapMaxMs: number;
  /** Share of the library's targets younger than a second. */
  youngShare: number;
  /** New tasks per second (one old task finishes for each). */
  churnPerSec: number;
}

/** One repetition: the library and the two floors, sampled alternately in the same processes. */
export interface InterleavedRepetition {
  /** This library: client `abort(id)` -> worker teardown, ms. */
  ours: LatencySummary;
  /** Plain ioredis `SET` -> keyspace message, ms. */
  oneHop: LatencySummary;
  /** Plain ioredis `SET` -> keyspace message -> `GET` returned, ms. */
  twoHop: LatencySummary;
  /** The library's aborts whose teardown did not come within 5 s (left out). */
  timeouts: number;
  /** Redis CPU over the repetition, % of one core. */
  redisCpuPct: number;
  /** Wall time of the measured part, s. */
  durationSec: number;
  /** Every sample in order (ours[i] was taken right after oneHop[i] and twoHop[i]). */
  samples: { ours: number[]; oneHop: number[]; twoHop: number[] };
}

/** The interleaved run: every repetition, and all of them pooled. */
export interface InterleavedRun {
  watched: number;
  pairs: number;
  gapMaxMs: number;
  repetitions: InterleavedRepetition[];
  /** Every repetition's samples together. */
  pooled: { ours: LatencySummary; oneHop: LatencySummary; twoHop: LatencySummary };
}

const WARMUP_MS = 1500;

/**
 * Measures this library's abort latency against the machine's floor *interleaved*: in one rig (one Redis
 * with keyspace notifications, one worker process watching `watched` ids with churn, one client process),
 * it alternates one floor sample (plain ioredis `SET` -> keyspace message (-> `GET`), the floor
 * subscriber holding `watched` channels in the same worker process) and one abort of this library, each
 * after its own random pause. Both see the same processes, the same pauses, the same heap and the same
 * moment of the machine, so their ratio holds on a noisy machine where figures taken minutes apart do
 * not. Each repetition runs on a fresh rig, so the spread over repetitions shows what a rerun would.
 *
 * @param settings - see {@link InterleavedSettings}.
 * @returns every repetition and the pooled percentiles.
 */
export async function runInterleaved(settings: InterleavedSettings): Promise<InterleavedRun> {
  const repetitions: InterleavedRepetition[] = [];
  for (let r = 0; r < settings.repetitions; r++) repetitions.push(await repetition(settings));
  const pool = (pick: (rep: InterleavedRepetition) => number[]) => summarize(repetitions.flatMap(pick));
  return {
    watched: settings.watched,
    pairs: settings.pairs,
    gapMaxMs: settings.gapMaxMs,
    repetitions,
    pooled: {
      ours: pool((rep) => rep.samples.ours),
      oneHop: pool((rep) => rep.samples.oneHop),
      twoHop: pool((rep) => rep.samples.twoHop),
    },
  };
}

async function repetition(settings: InterleavedSettings): Promise<InterleavedRepetition> {
  const rig = await startRig({ system: 'ours', reportEach: true });
  try {
    const [worker] = rig.workers;
    if (worker === undefined) throw new Error('rig without worker');
    const abortOnce = abortTimer(rig, settings.youngShare);
    const floorOnce = await floorTimer(rig, settings.watched);
    await worker.call(
      'spawn',
      { count: settings.watched, mode: 'full', shape: 'mixed', timeoutMs: 120_000 },
      130_000,
    );
    await worker.call('churn', { ratePerSec: settings.churnPerSec, target: settings.watched });
    await sleep(WARMUP_MS);

    const samples = { ours: [] as number[], oneHop: [] as number[], twoHop: [] as number[] };
    let timeouts = 0;
    const before = await rig.info.snapshot();
    const started = now();
    for (let i = 0; i < settings.pairs; i++) {
      await sleep(Math.random() * settings.gapMaxMs);
      const floor = await floorOnce();
      samples.oneHop.push(floor.oneHopMs);
      samples.twoHop.push(floor.twoHopMs);
      await sleep(Math.random() * settings.gapMaxMs);
      const ours = await abortOnce();
      if (ours === undefined) timeouts++;
      else samples.ours.push(ours.ms);
    }
    const durationSec = (now() - started) / 1000;
    const delta = RedisInfo.delta(before, await rig.info.snapshot());
    await worker.call('churn', { ratePerSec: 0, target: 0 });
    return {
      ours: summarize(samples.ours),
      oneHop: summarize(samples.oneHop),
      twoHop: summarize(samples.twoHop),
      timeouts,
      redisCpuPct: round3(delta.cpuPct),
      durationSec: round3(durationSec),
      samples,
    };
  } finally {
    await rig.stop();
  }
}
