import { parseArgs } from 'node:util';

/** Everything a benchmark run can be told; defaults give the full run (a few minutes). */
export interface BenchOptions {
  /** Watched-id counts of the scale phase. @default [1000, 10000, 100000] */
  scaleSizes: number[];
  /** Watched-id counts of the latency runs (the targets are stated at 10,000). @default [1000, 10000] */
  latencySizes: number[];
  /** Sequential aborts per latency run. @default 200 */
  aborts: number;
  /** Random pause before each abort, uniform in [0, gapMaxMs]. @default 200 */
  gapMaxMs: number;
  /** Share of abort targets younger than one second. @default 0.25 */
  youngShare: number;
  /** New tasks per second during latency runs (an old one finishes for each, keeping the count). @default 50 */
  churnPerSec: number;
  /** Length of the idle window of the scale phase, seconds. @default 3 */
  idleSeconds: number;
  /** Watched ids of the throughput run, split over two workers. @default 40000 */
  throughputIds: number;
  /** Ids per `abort()` call in the throughput run. @default 500 */
  throughputBatch: number;
  /** How long the baseline gets to deliver its throughput run, seconds. @default 5 */
  baselineThroughputSeconds: number;
  /** Pairs (one floor sample, one abort of ours) per repetition of the interleaved run. @default 200 */
  interleavedPairs: number;
  /** Repetitions of the interleaved run, each on fresh processes (the spread of its ratios). @default 3 */
  repetitions: number;
  /** `SET`s per configuration and round of the keyspace-notification cost run (redis-benchmark). @default 100000 */
  notifyRequests: number;
  /** Pre-start checks timed per mode. @default 5000 */
  skipChecks: number;
  /** Checks in flight in the concurrent skip-check run. @default 64 */
  skipConcurrency: number;
  /** Write CPU profiles of the throughput workers to `<outDir>/profiles`. @default false */
  profile: boolean;
  /** Run the library from `src/` through tsx instead of compiling it with tsc first. @default false */
  source: boolean;
  /** Measure an already compiled copy of the library (its `index.js`), e.g. a patched build. @default none */
  library: string | undefined;
  /**
   * Before each timed run, wait up to this long for the machine to be at least 80% idle (other work on a
   * small machine skews sub-millisecond timings); the idle share seen is recorded. After a wait that ran
   * out, the next waits last at most 2 s until one succeeds. @default 10_000
   */
  quietWaitMs: number;
  /** Phases to run. @default all */
  phases: Phase[];
  /** Where results go. @default 'bench/results' */
  outDir: string;
  /** The whole run is aborted after this many seconds. @default 1200 */
  deadlineSeconds: number;
}

/** The parts of a run. */
export type Phase =
  | 'skip'
  | 'scale'
  | 'latency'
  | 'interleaved'
  | 'throughput'
  | 'notify-cost'
  | 'cluster'
  | 'bullmq'
  | 'isolation'
  | 'outcomes'
  | 'safety-net';
const PHASES: readonly Phase[] = [
  'skip',
  'scale',
  'latency',
  'interleaved',
  'throughput',
  'notify-cost',
  'cluster',
  'bullmq',
  'isolation',
  'outcomes',
  'safety-net',
];

const USAGE = `npm run bench -- [options]

  --quick                    smaller sizes, for a quick look (about 2 minutes)
  --sizes 1000,10000,100000  watched ids in the scale phase
  --latency-sizes 1000,10000 watched ids in the latency runs
  --aborts 200               sequential aborts per latency run
  --gap-max 200              random pause before each abort, 0..N ms
  --young-share 0.25         share of abort targets younger than 1 s
  --pairs 200                floor/ours pairs per repetition of the interleaved run
  --repetitions 3            repetitions of the interleaved run (fresh processes each)
  --throughput 40000         watched ids in the throughput run (two workers)
  --only latency,scale       run only these phases (skip, scale, latency, interleaved, throughput,
                             notify-cost, cluster, bullmq, isolation, outcomes, safety-net)
  --profile                  CPU-profile the throughput workers (bench/results/profiles)
  --source                   run src/ through tsx instead of a tsc build (adds keepNames overhead)
  --library path/index.js    measure an already built copy of the library (e.g. a patched build)
  --quiet-wait 10            seconds to wait for an idle machine before each timed run (0: never)
  --out bench/results        output directory
  --help`;

const list = (value: string, name: string): number[] => {
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`--${name} takes positive integers separated by commas, got ${value}`);
  }
  return numbers;
};

const number = (value: string | undefined, name: string, fallback: number, min: number, max: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`--${name} must be a number from ${min} to ${max}, got ${value}`);
  }
  return n;
};

/**
 * Parses the command line of `npm run bench`.
 * @param argv - the arguments after the script name.
 * @returns the options, or `null` when `--help` was asked for (the usage is printed).
 * @throws RangeError / TypeError for an invalid flag.
 */
export function parseBenchOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      sizes: { type: 'string' },
      'latency-sizes': { type: 'string' },
      aborts: { type: 'string' },
      'gap-max': { type: 'string' },
      'young-share': { type: 'string' },
      pairs: { type: 'string' },
      repetitions: { type: 'string' },
      throughput: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      source: { type: 'boolean' },
      library: { type: 'string' },
      'quiet-wait': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return null;
  }
  const quick = values.quick === true;
  const phases = values.only === undefined ? [...PHASES] : (values.only.split(',') as Phase[]);
  for (const phase of phases) {
    if (!PHASES.includes(phase)) throw new RangeError(`--only takes ${PHASES.join(', ')}, got ${phase}`);
  }
  return {
    scaleSizes: values.sizes ? list(values.sizes, 'sizes') : quick ? [1000, 10000] : [1000, 10000, 100000],
    latencySizes: values['latency-sizes']
      ? list(values['latency-sizes'], 'latency-sizes')
      : quick
        ? [10000]
        : [1000, 10000],
    aborts: number(values.aborts, 'aborts', quick ? 60 : 200, 1, 100_000),
    gapMaxMs: number(values['gap-max'], 'gap-max', 200, 0, 10_000),
    youngShare: number(values['young-share'], 'young-share', 0.25, 0, 1),
    churnPerSec: 50,
    idleSeconds: quick ? 2 : 3,
    throughputIds: number(values.throughput, 'throughput', quick ? 20000 : 40000, 2, 1_000_000),
    throughputBatch: 500,
    baselineThroughputSeconds: quick ? 3 : 5,
    interleavedPairs: number(values.pairs, 'pairs', quick ? 60 : 200, 1, 100_000),
    repetitions: number(values.repetitions, 'repetitions', 3, 1, 100),
    notifyRequests: quick ? 30_000 : 100_000,
    skipChecks: quick ? 2000 : 5000,
    skipConcurrency: 64,
    profile: values.profile === true,
    source: values.source === true,
    library: values.library,
    quietWaitMs: number(values['quiet-wait'], 'quiet-wait', quick ? 5 : 10, 0, 600) * 1000,
    phases,
    outDir: values.out ?? 'bench/results',
    deadlineSeconds: 1200,
  };
}
