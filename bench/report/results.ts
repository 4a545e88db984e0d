import type { BenchOptions } from '../options.js';
import type { ClusterCostRun } from '../phases/clusterCost.js';
import type { InterleavedRun } from '../phases/interleaved.js';
import type { IsolationRun } from '../phases/isolation.js';
import type { LatencyRun } from '../phases/latency.js';
import type { NotifyCostRun } from '../phases/notifyCost.js';
import type { OutcomesRun } from '../phases/outcomes.js';
import type { SafetyNetRun } from '../phases/safetyNet.js';
import type { ScaleMeasure } from '../phases/scale.js';
import type { SkipCheckRun } from '../phases/skipCheck.js';
import type { ThroughputRun } from '../phases/throughput.js';
import type { LatencySummary } from '../stats.js';
import type { LatencyRatios } from './ratios.js';

/** The machine a run was made on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  platform: string;
  node: string;
  redis: string;
  /** 1/5/15-minute load averages at the start and the end: other work on the machine skews results. */
  loadAvgAtStart: number[];
  loadAvgAtEnd: number[];
  /** Share of CPU time idle over one second just before the run, %. */
  idleCpuPctAtStart: number;
  /** Share of CPU time idle just before each timed run (after waiting for quiet), %. */
  idlePctBeforeRun: Record<string, number>;
  /** The 1-minute load average when each timed run was about to start (before the quiet wait). */
  loadAvgBeforeRun: Record<string, number>;
}

/** The latency figures of one system at the headline size. */
export interface HeadlineLatency extends LatencySummary {
  /** Watched ids in that run. */
  watched: number;
}

/** A scale row: this library's figures at the top level (as the issue names them), the baseline's inside. */
export type ScaleRow = ScaleMeasure & { baseline?: ScaleMeasure };

/** One target (issue 12) and whether the run met it. */
export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

/** Everything `bench/results/latest.json` holds. */
export interface BenchResults {
  /** The isolation phase: hard-stop time and per-task overhead of isolated actors. */
  isolation?: IsolationRun;
  date: string;
  durationSec: number;
  /** How the library under test was run. */
  library: string;
  machine: MachineInfo;
  /** The sizes and settings used. */
  sizes: Pick<
    BenchOptions,
    | 'scaleSizes'
    | 'latencySizes'
    | 'aborts'
    | 'gapMaxMs'
    | 'youngShare'
    | 'churnPerSec'
    | 'idleSeconds'
    | 'throughputIds'
    | 'throughputBatch'
    | 'skipChecks'
    | 'skipConcurrency'
    | 'interleavedPairs'
    | 'repetitions'
    | 'notifyRequests'
  >;
  /** This library's abort latency at the headline size (10,000 watched ids when run). */
  ours?: HeadlineLatency;
  /** The baseline's abort latency on the same workload. */
  baseline?: HeadlineLatency;
  /** baseline / ours, at the headline size. */
  ratio?: { p50: number; p90: number; p99: number; max: number };
  /**
   * This library and the machine's floor (plain ioredis SET -> keyspace message (-> GET)) sampled
   * alternately in the same processes at the headline size: with the benchmark's pauses, and back to back
   * (no pause: warm processes), each over several repetitions.
   */
  interleaved?: { paused: InterleavedRun; backToBack?: InterleavedRun };
  /** The ratios of {@link interleaved}: ours / one-hop and ours / two-hop floor, p50 and p99, with spread. */
  ratios?: { paused: LatencyRatios; backToBack?: LatencyRatios };
  /** Every latency run, with its samples. */
  latency: Array<{ watched: number; ours: LatencyRun; baseline: LatencyRun }>;
  scale: ScaleRow[];
  throughput?: ThroughputRun;
  baselineThroughput?: ThroughputRun;
  skipCheck?: { ours: SkipCheckRun; baseline: SkipCheckRun };
  /** Confirmed aborts: the worker's report write and the `abortAndWait` round trip (bench/phases/outcomes.ts). */
  outcomes?: OutcomesRun;
  /**
   * The operational safety nets: the periodic re-read's commands per watched id, and the latency that
   * `replicas: 1` adds to `abort()` (bench/phases/safetyNet.ts).
   */
  safetyNet?: SafetyNetRun;
  /** What keyspace notifications cost an unrelated client's SETs on the same Redis. */
  notifyCost?: NotifyCostRun;
  /** What watching costs on Redis Cluster, measured on a small cluster and computed for others. */
  cluster?: ClusterCostRun;
  targets: TargetCheck[];
}

/** The size the issue states its latency targets at. */
export const HEADLINE_WATCHED = 10_000;

/**
 * Picks the headline latency run: the one at 10,000 watched ids, else the largest.
 * @param latency - every latency run.
 * @returns the headline pair, or undefined when there was no latency run.
 */
export function headlineLatency(
  latency: BenchResults['latency'],
): BenchResults['latency'][number] | undefined {
  return (
    latency.find((run) => run.watched === HEADLINE_WATCHED) ??
    [...latency].sort((a, b) => b.watched - a.watched)[0]
  );
}

/** The summary fields of a latency run, without its samples. */
export function headline(run: LatencyRun): HeadlineLatency {
  const { count, minMs, p50Ms, p90Ms, p99Ms, maxMs, meanMs, watched } = run;
  return { watched, count, minMs, p50Ms, p90Ms, p99Ms, maxMs, meanMs };
}
