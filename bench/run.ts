/**
 * `npm run bench`: measures rx-abort against a port of dramatiq-abort's polling design (BLPOP with a 1 s
 * timeout) on redis-servers and processes it starts itself, then writes `bench/results/latest.json` and
 * `bench/results/latency.svg` and prints a summary. See bench/README.md for what each figure means.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { buildLibrary } from './buildLibrary.js';
import { cleanupAll, installCleanupHandlers } from './cleanup.js';
import { now } from './clock.js';
import { LIBRARY_ENV } from './library.js';
import { awaitQuiet, describeMachine } from './machine.js';
import { type BenchOptions, parseBenchOptions } from './options.js';
import { type BullmqPhase, renderBullmq, runBullmq } from './phases/bullmq.js';
import { runClusterCost } from './phases/clusterCost.js';
import { runInterleaved } from './phases/interleaved.js';
import { runIsolation } from './phases/isolation.js';
import { runLatency } from './phases/latency.js';
import { runNotifyCost } from './phases/notifyCost.js';
import { runOutcomes } from './phases/outcomes.js';
import { runSafetyNet } from './phases/safetyNet.js';
import { runScale } from './phases/scale.js';
import { runSkipCheck } from './phases/skipCheck.js';
import { runThroughput } from './phases/throughput.js';
import { latencySeries } from './report/latencySeries.js';
import { summarizeProfile } from './report/profileSummary.js';
import { latencyRatios } from './report/ratios.js';
import { type BenchResults, HEADLINE_WATCHED, headline, headlineLatency } from './report/results.js';
import { renderLatencySvg } from './report/svg.js';
import { renderTable } from './report/table.js';
import { checkTargets } from './report/targets.js';
import { round3 } from './stats.js';

/** A timed run starts only once the machine is this idle (or after `--quiet-wait` seconds), %. */
const QUIET_IDLE_PCT = 80;
/** The wait before a timed run after the previous wait ran out, ms. */
const BUSY_WAIT_MS = 2000;

const startedAt = Date.now();
const log = (message: string): void =>
  console.error(`[bench +${Math.round((Date.now() - startedAt) / 1000)}s] ${message}`);
const ratio = (baseline: number, ours: number): number => round3(baseline / ours);

/**
 * Runs every selected phase and assembles the results.
 * @param options - the parsed command line.
 * @returns the results (targets included).
 */
async function bench(options: BenchOptions): Promise<BenchResults> {
  const started = now();
  log('checking the machine (1 s)...');
  const machine = await describeMachine();
  if (machine.idleCpuPctAtStart < 80) {
    log(`warning: the machine is busy (${machine.idleCpuPctAtStart}% idle): latencies will be inflated`);
  }
  let library = 'src/ through tsx (--source)';
  if (options.library !== undefined) {
    process.env[LIBRARY_ENV] = resolve(options.library);
    library = `prebuilt: ${resolve(options.library)}`;
  } else if (!options.source) {
    log('compiling src/ with tsc into bench/.build/...');
    const build = await buildLibrary();
    if (build.errors.length > 0) {
      log(`warning: tsc reported ${build.errors.length} type error(s) in src/ (emitted anyway):`);
      for (const line of build.errors.slice(0, 5)) log(`  ${line}`);
    }
    process.env[LIBRARY_ENV] = build.entry;
    library = 'src/ compiled by tsc (tsconfig.build.json) into bench/.build/';
  }
  /**
   * Waits (bounded) for an idle machine before a timed run, and records how idle and loaded it was. Once a
   * wait has run out (the machine stays busy: other work), the next waits are short until one succeeds.
   */
  let busy = false;
  const quiet = async (run: string): Promise<void> => {
    machine.loadAvgBeforeRun[run] = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    if (options.quietWaitMs <= 0) return;
    const idle = await awaitQuiet(QUIET_IDLE_PCT, busy ? BUSY_WAIT_MS : options.quietWaitMs);
    machine.idlePctBeforeRun[run] = idle;
    busy = idle < QUIET_IDLE_PCT;
    if (busy) log(`warning: only ${idle}% idle before ${run}: its timings are inflated`);
  };
  const partial: Omit<BenchResults, 'targets'> = {
    date: new Date().toISOString(),
    durationSec: 0,
    library,
    machine,
    sizes: {
      scaleSizes: options.scaleSizes,
      latencySizes: options.latencySizes,
      aborts: options.aborts,
      gapMaxMs: options.gapMaxMs,
      youngShare: options.youngShare,
      churnPerSec: options.churnPerSec,
      idleSeconds: options.idleSeconds,
      throughputIds: options.throughputIds,
      throughputBatch: options.throughputBatch,
      skipChecks: options.skipChecks,
      skipConcurrency: options.skipConcurrency,
      interleavedPairs: options.interleavedPairs,
      repetitions: options.repetitions,
      notifyRequests: options.notifyRequests,
    },
    latency: [],
    scale: [],
  };

  if (options.phases.includes('skip')) {
    log('skip check...');
    partial.skipCheck = {
      ours: await quiet('skip ours').then(() =>
        runSkipCheck('ours', options.skipChecks, options.skipConcurrency),
      ),
      baseline: await quiet('skip baseline').then(() =>
        runSkipCheck('baseline', options.skipChecks, options.skipConcurrency),
      ),
    };
  }

  if (options.phases.includes('scale')) {
    for (const watched of options.scaleSizes) {
      log(`scale: ${watched.toLocaleString('en-US')} watched ids, rx-abort...`);
      await quiet(`scale ours ${watched}`);
      const ours = await runScale('ours', watched, options.idleSeconds);
      log(`scale: ${watched.toLocaleString('en-US')} watched ids, baseline...`);
      await quiet(`scale baseline ${watched}`);
      const baseline = await runScale('baseline', watched, options.idleSeconds);
      partial.scale.push({ ...ours, baseline });
    }
  }

  if (options.phases.includes('latency')) {
    for (const watched of options.latencySizes) {
      const settings = {
        watched,
        aborts: options.aborts,
        gapMaxMs: options.gapMaxMs,
        youngShare: options.youngShare,
        churnPerSec: options.churnPerSec,
      };
      log(`latency: ${watched.toLocaleString('en-US')} watched ids, ${options.aborts} aborts, rx-abort...`);
      await quiet(`latency ours ${watched}`);
      const ours = await runLatency('ours', settings);
      log(`latency: ${watched.toLocaleString('en-US')} watched ids, ${options.aborts} aborts, baseline...`);
      await quiet(`latency baseline ${watched}`);
      const baseline = await runLatency('baseline', settings);
      partial.latency.push({ watched, ours, baseline });
    }
    const main = headlineLatency(partial.latency);
    if (main !== undefined) {
      partial.ours = headline(main.ours);
      partial.baseline = headline(main.baseline);
      partial.ratio = {
        p50: ratio(main.baseline.p50Ms, main.ours.p50Ms),
        p90: ratio(main.baseline.p90Ms, main.ours.p90Ms),
        p99: ratio(main.baseline.p99Ms, main.ours.p99Ms),
        max: ratio(main.baseline.maxMs, main.ours.maxMs),
      };
    }
  }

  if (options.phases.includes('interleaved')) {
    const interleaved = async (gapMaxMs: number, label: string) => {
      log(
        `interleaved: floor and rx-abort alternately, ${HEADLINE_WATCHED.toLocaleString('en-US')} watched, ` +
          `${options.repetitions} x ${options.interleavedPairs} pairs, ${label}...`,
      );
      await quiet(`interleaved ${label}`);
      return runInterleaved({
        watched: HEADLINE_WATCHED,
        pairs: options.interleavedPairs,
        repetitions: options.repetitions,
        gapMaxMs,
        youngShare: options.youngShare,
        churnPerSec: options.churnPerSec,
      });
    };
    const paused = await interleaved(options.gapMaxMs, `pauses 0-${options.gapMaxMs} ms`);
    const backToBack = await interleaved(0, 'back to back');
    partial.interleaved = { paused, backToBack };
    partial.ratios = { paused: latencyRatios(paused), backToBack: latencyRatios(backToBack) };
  }

  if (options.phases.includes('throughput')) {
    const profileDir = options.profile ? resolve(options.outDir, 'profiles') : undefined;
    if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
    log(`throughput: ${options.throughputIds.toLocaleString('en-US')} ids over two workers, rx-abort...`);
    await quiet('throughput ours');
    partial.throughput = await runThroughput('ours', {
      ids: options.throughputIds,
      batchSize: options.throughputBatch,
      concurrency: 4,
      deliverSeconds: 60,
      ...(profileDir === undefined ? {} : { profileDir }),
    });
    for (const file of partial.throughput.profiles) {
      partial.throughput.profileTop[file] = summarizeProfile(file, 10);
    }
    log(`throughput: baseline (gives up after ${options.baselineThroughputSeconds} s)...`);
    await quiet('throughput baseline');
    partial.baselineThroughput = await runThroughput('baseline', {
      ids: options.throughputIds,
      batchSize: options.throughputBatch,
      concurrency: 4,
      deliverSeconds: options.baselineThroughputSeconds,
    });
  }

  if (options.phases.includes('notify-cost')) {
    log(
      `notify cost: redis-benchmark SET with keyspace notifications off / on / on + ${HEADLINE_WATCHED} watched...`,
    );
    await quiet('notify cost');
    partial.notifyCost = await runNotifyCost({
      requests: options.notifyRequests,
      rounds: 3,
      clients: 50,
      watched: HEADLINE_WATCHED,
    });
  }

  if (options.phases.includes('cluster')) {
    log('cluster cost: 3-master Redis Cluster, 1,000 and 10,000 watched ids...');
    await quiet('cluster');
    partial.cluster = await runClusterCost({
      masters: 3,
      sizes: [1000, HEADLINE_WATCHED],
      designMasters: [3, 10],
      designSizes: [1000, 10_000, 100_000],
    });
  }

  if (options.phases.includes('bullmq')) {
    log(
      `bullmq: abortJob vs BullMQ's own cross-process cancel, ${Math.min(options.aborts, 200)} aborts each...`,
    );
    await quiet('bullmq');
    Object.assign(partial, { bullmq: await runBullmq(Math.min(options.aborts, 200)) });
  }

  if (options.phases.includes('isolation')) {
    log('isolation: abort() in a client process -> isolate terminated; per-task cost of thread/process...');
    await quiet('isolation');
    partial.isolation = await runIsolation();
    log(`isolation: ${JSON.stringify(partial.isolation)}`);
  }

  if (options.phases.includes('outcomes')) {
    log(`outcomes: report write and abortAndWait round trip, ${options.aborts} samples...`);
    await quiet('outcomes');
    const run = await runOutcomes(options.aborts);
    partial.outcomes = run;
    log(
      `outcomes: report/abort write p50 ${run.reportToAbortP50}x, abortAndWait/delivery p50 ${run.roundTripToDeliveryP50}x (${run.abortAndWait.p50Ms} ms)`,
    );
  }

  if (options.phases.includes('safety-net')) {
    log('safety net: periodic re-read per watched id; abort() with replicas: 0 and 1 (WAIT)...');
    await quiet('safety net');
    partial.safetyNet = await runSafetyNet(HEADLINE_WATCHED, Math.min(options.aborts * 5, 2000));
  }

  machine.loadAvgAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  partial.durationSec = round3((now() - started) / 1000);
  return { ...partial, targets: checkTargets(partial) };
}

/** Writes latest.json and latency.svg. @returns their paths. */
function write(results: BenchResults, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'latest.json');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const files = [json];
  const series = latencySeries(results);
  if (series.length > 0) {
    const svg = join(outDir, 'latency.svg');
    writeFileSync(
      svg,
      renderLatencySvg(
        series,
        `Abort latency across processes: rx-abort vs BLPOP polling (${results.date.slice(0, 10)})`,
      ),
    );
    files.push(svg);
  }
  return files;
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options === null) return;
  installCleanupHandlers();
  const deadline = setTimeout(() => {
    log(`the run exceeded ${options.deadlineSeconds} s: stopping`);
    void cleanupAll().finally(() => process.exit(1));
  }, options.deadlineSeconds * 1000);
  deadline.unref();
  try {
    const results = await bench(options);
    const files = write(results, options.outDir);
    console.log(renderTable(results));
    const { bullmq } = results as { bullmq?: BullmqPhase };
    if (bullmq !== undefined) console.log(renderBullmq(bullmq));
    console.log(`\nwrote ${files.join(', ')}`);
  } finally {
    clearTimeout(deadline);
    await cleanupAll();
  }
}

main().catch(async (error: unknown) => {
  console.error(error);
  await cleanupAll();
  process.exit(1);
});
