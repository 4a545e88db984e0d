import { parseArgs } from 'node:util';

/** The size and settings of a soak run. Every count and every wait is bounded. */
export interface SoakOptions {
  /**
   * Abortable tasks running at once across the worker processes (each waits until aborted or released).
   * @default 5000
   */
  tasks: number;
  /**
   * Tasks kept queued: enqueued on a queue no worker consumes until every abort was issued.
   * @default tasks / 5
   */
  queued: number;
  /** Ids passed to `abort()` by the client in each round: running, queued and unknown ids. @default 20_000 */
  aborts: number;
  /** Worker processes. @default 2 */
  workers: number;
  /** Rounds, on the same worker processes, Redis and client (heap growth is compared between them). @default 2 */
  repeat: number;
  /** Concurrency of each worker on the running queue. @default ceil(tasks / workers) */
  concurrency: number;
  /** Concurrency of each worker on the queued queue. @default min(500, queued) */
  queuedConcurrency: number;
  /** Share of the running tasks that are aborted. @default 0.5 */
  runningTargetShare: number;
  /** Share of the queued tasks that are aborted. @default 0.5 */
  queuedTargetShare: number;
  /** Share of the aborts that repeat an id already aborted in the round (no task may stop twice). @default 0.05 */
  repeatShare: number;
  /** Share of the ids sent in `abort([...ids])` batches; the rest go one per call. @default 0.5 */
  batchShare: number;
  /** The largest batch. @default 100 */
  maxBatch: number;
  /** `abort()` calls the client keeps in flight at once. @default 256 */
  inFlight: number;
  /** The longest a running task runs if neither aborted nor released, in milliseconds. @default 300_000 */
  taskMs: number;
  /** The longest each wait of a round may take (tasks started, aborts landed, tasks settled), in ms. @default 120_000 */
  phaseTimeout: number;
  /** The longest the whole run may take, in milliseconds. @default 900_000 */
  maxTime: number;
  /** Heap growth per worker allowed between the first and the last round, in MiB. @default 8 */
  heapSlackMb: number;
  /** Seed of the abort plan (which ids, which order, which batches). @default 1 */
  seed: number;
}

/**
 * Named sizes: `issue` (issue 4's figures, the default: about 25 s on 2 cores) and `small` (the test suite's,
 * a few seconds).
 */
export const SOAK_PRESETS = {
  issue: { tasks: 5000, aborts: 20_000, workers: 2, repeat: 2 },
  small: { tasks: 300, aborts: 1200, workers: 2, repeat: 1, phaseTimeout: 20_000, maxTime: 25_000 },
} as const satisfies Record<string, Partial<SoakOptions>>;

/** A preset name. */
export type SoakPreset = keyof typeof SOAK_PRESETS;

const BASE = {
  runningTargetShare: 0.5,
  queuedTargetShare: 0.5,
  repeatShare: 0.05,
  batchShare: 0.5,
  maxBatch: 100,
  inFlight: 256,
  taskMs: 300_000,
  phaseTimeout: 120_000,
  maxTime: 900_000,
  heapSlackMb: 8,
  seed: 1,
};

/** Bounds of each numeric option: [min, max, whole number]. */
const BOUNDS: Record<keyof SoakOptions, readonly [number, number, boolean]> = {
  tasks: [1, 100_000, true],
  queued: [0, 100_000, true],
  aborts: [0, 1_000_000, true],
  workers: [1, 16, true],
  repeat: [1, 100, true],
  concurrency: [1, 10_000, true],
  queuedConcurrency: [1, 10_000, true],
  runningTargetShare: [0, 1, false],
  queuedTargetShare: [0, 1, false],
  repeatShare: [0, 1, false],
  batchShare: [0, 1, false],
  maxBatch: [1, 10_000, true],
  inFlight: [1, 100_000, true],
  taskMs: [1000, 3_600_000, true],
  phaseTimeout: [1000, 3_600_000, true],
  maxTime: [1000, 24 * 3_600_000, true],
  heapSlackMb: [0, 10_000, false],
  seed: [0, 2 ** 32 - 1, true],
};

/**
 * The options of a run: the preset, overridden by `overrides`, with the derived defaults filled in.
 *
 * @example
 * ```ts
 * const options = resolveSoakOptions('small', { repeat: 2 });
 * ```
 * @param preset - the named size to start from.
 * @param overrides - options that win over the preset.
 * @returns complete options.
 * @throws RangeError for an option outside its bounds, or workers too few to run every task at once.
 */
export function resolveSoakOptions(
  preset: SoakPreset = 'issue',
  overrides: Partial<SoakOptions> = {},
): SoakOptions {
  const picked = { ...BASE, ...SOAK_PRESETS[preset], ...overrides };
  const queued = picked.queued ?? Math.floor(picked.tasks / 5);
  const options: SoakOptions = {
    ...picked,
    queued,
    concurrency: picked.concurrency ?? Math.ceil(picked.tasks / picked.workers),
    queuedConcurrency: picked.queuedConcurrency ?? Math.max(1, Math.min(500, queued)),
  };
  for (const [name, [min, max, whole]] of Object.entries(BOUNDS)) {
    const value = options[name as keyof SoakOptions];
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
      throw new RangeError(`--${kebab(name)} must be a number from ${min} to ${max}, got ${value}`);
    }
    if (whole && !Number.isInteger(value)) {
      throw new RangeError(`--${kebab(name)} must be a whole number, got ${value}`);
    }
  }
  if (options.concurrency * options.workers < options.tasks) {
    throw new RangeError(
      `--workers ${options.workers} x --concurrency ${options.concurrency} cannot run --tasks ${options.tasks} at once`,
    );
  }
  return options;
}

/** The CLI usage text. */
export const SOAK_USAGE = `Usage: npm run soak -- [--preset issue|small] [--tasks N] [--aborts N] [--workers N] [--repeat N]
       [--queued N] [--concurrency N] [--queued-concurrency N] [--running-target-share X] [--queued-target-share X]
       [--repeat-share X] [--batch-share X] [--max-batch N] [--in-flight N] [--task-ms MS] [--phase-timeout MS]
       [--max-time MS] [--heap-slack-mb MB] [--seed N] [--out FILE]`;

/** What the CLI asked for. */
export interface SoakCli {
  readonly options: SoakOptions;
  /** Where to write the JSON results. */
  readonly out: string;
  readonly help: boolean;
}

/**
 * Parses the soak's command-line flags (`--tasks 5000 --aborts 20000 --workers 2 --repeat 2`).
 * @param argv - the arguments after the script name.
 * @param defaultOut - the results file when `--out` is not given.
 * @returns the options and the output file.
 * @throws TypeError for an unknown flag or a value that is not a number; RangeError as {@link resolveSoakOptions}.
 */
export function parseSoakArgs(argv: readonly string[], defaultOut: string): SoakCli {
  const names = Object.keys(BOUNDS).map(kebab);
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      preset: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const preset = (values.preset ?? 'issue') as string;
  if (!(preset in SOAK_PRESETS)) {
    throw new TypeError(`--preset must be one of ${Object.keys(SOAK_PRESETS).join(', ')}, got ${preset}`);
  }
  const overrides: Partial<Record<keyof SoakOptions, number>> = {};
  for (const name of Object.keys(BOUNDS) as (keyof SoakOptions)[]) {
    const text = (values as Record<string, string | boolean | undefined>)[kebab(name)];
    if (typeof text !== 'string') continue;
    const value = Number(text.replaceAll('_', ''));
    if (text.trim() === '' || Number.isNaN(value)) {
      throw new TypeError(`--${kebab(name)} must be a number, got "${text}"`);
    }
    overrides[name] = value;
  }
  return {
    options: resolveSoakOptions(preset as SoakPreset, overrides),
    out: typeof values.out === 'string' ? values.out : defaultOut,
    help: values.help === true,
  };
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
