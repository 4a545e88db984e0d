import { estimateClockOffset, now, sleep } from '../clock.js';
import type { SystemName } from '../protocol.js';
import { RedisInfo } from '../redisInfo.js';
import { type LatencySummary, round3, summarize } from '../stats.js';
import { abortTimer, type LatencySample } from './abortTimer.js';
import { startRig } from './rig.js';

/** Settings of one latency run. */
export interface LatencySettings {
  /** Watched ids in the worker. */
  watched: number;
  /** Sequential aborts. */
  aborts: number;
  /** Pause before each abort, uniform in [0, gapMaxMs]. */
  gapMaxMs: number;
  /** Share of targets younger than a second. */
  youngShare: number;
  /** New tasks per second (one old task finishes for each). */
  churnPerSec: number;
}

/** The result of one latency run. */
export interface LatencyRun extends LatencySummary {
  system: SystemName;
  watched: number;
  /** Targets younger than one second. */
  young: LatencySummary;
  /** Targets one second old or older. */
  old: LatencySummary;
  /** Aborts whose teardown did not come within 5 s (not in the percentiles). */
  timeouts: number;
  /** Every sample, in order. */
  samples: LatencySample[];
  /** Redis CPU over the run. */
  redisCpuMs: number;
  /** Redis CPU as a share of one core over the run, %. */
  redisCpuPct: number;
  /** Redis commands per second over the run (all clients). */
  redisCommandsPerSec: number;
  /** Worker clock minus client clock, ms (estimate), and its uncertainty. */
  clockSkewMs: number;
  clockSkewUncertaintyMs: number;
  /** Wall time of the measured part, s. */
  durationSec: number;
}

const WARMUP_MS = 1500;

/**
 * Measures abort latency across processes: one worker process runs `watched` tasks (with churn, so there
 * are always tasks younger than a second), and a client process aborts targets one at a time; each
 * latency is from the client's call to `abort()` to the worker's teardown, on the shared clock.
 *
 * @param system - the system under test.
 * @param settings - see {@link LatencySettings}.
 * @returns the run's percentiles, samples and Redis cost.
 */
export async function runLatency(system: SystemName, settings: LatencySettings): Promise<LatencyRun> {
  const rig = await startRig({ system, reportEach: true });
  try {
    const [worker] = rig.workers;
    const client = rig.client;
    if (worker === undefined || client === undefined) throw new Error('rig without worker or client');

    const workerClock = await estimateClockOffset(() => worker.call('clock', undefined));
    const clientClock = await estimateClockOffset(() => client.call('clock', undefined));

    const abortOnce = abortTimer(rig, settings.youngShare);

    await worker.call(
      'spawn',
      { count: settings.watched, mode: 'full', shape: 'mixed', timeoutMs: 120_000 },
      130_000,
    );
    await worker.call('churn', { ratePerSec: settings.churnPerSec, target: settings.watched });
    await sleep(WARMUP_MS);

    const samples: LatencySample[] = [];
    const young: number[] = [];
    const old: number[] = [];
    let timeouts = 0;
    const before = await rig.info.snapshot();
    const started = now();
    for (let i = 0; i < settings.aborts; i++) {
      await sleep(Math.random() * settings.gapMaxMs);
      const sample = await abortOnce();
      if (sample === undefined) {
        timeouts++;
        continue;
      }
      samples.push(sample);
      (sample.ageMs < 1000 ? young : old).push(sample.ms);
    }
    const durationSec = (now() - started) / 1000;
    const delta = RedisInfo.delta(before, await rig.info.snapshot());
    await worker.call('churn', { ratePerSec: 0, target: 0 });

    return {
      system,
      watched: settings.watched,
      ...summarize(samples.map((sample) => sample.ms)),
      young: summarize(young),
      old: summarize(old),
      timeouts,
      samples,
      redisCpuMs: round3(delta.cpuMs),
      redisCpuPct: round3(delta.cpuPct),
      redisCommandsPerSec: round3(delta.commandsPerSec),
      clockSkewMs: round3(workerClock.offsetMs - clientClock.offsetMs),
      clockSkewUncertaintyMs: round3(workerClock.uncertaintyMs + clientClock.uncertaintyMs),
      durationSec: round3(durationSec),
    };
  } finally {
    await rig.stop();
  }
}
