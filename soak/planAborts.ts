import type { AbortCall } from './protocol.js';

/** Options of {@link planAborts}. */
export interface PlanAbortsOptions {
  /** Ids of the tasks running when the aborts are issued. */
  readonly running: readonly string[];
  /** Ids of the tasks waiting on a queue no worker consumes yet. */
  readonly queued: readonly string[];
  /** Ids to pass to `abort()` in all (targets, repeats and unknown ids). */
  readonly aborts: number;
  /** Share of `running` to abort. */
  readonly runningTargetShare: number;
  /** Share of `queued` to abort. */
  readonly queuedTargetShare: number;
  /** Share of `aborts` that repeat a target. */
  readonly repeatShare: number;
  /** Share of the ids sent in batches. */
  readonly batchShare: number;
  /** The largest batch. */
  readonly maxBatch: number;
  /** Seed of the pseudo-random choices: the same seed and ids give the same plan. */
  readonly seed: number;
  /** Makes an id no task has (a fresh UUID by default). */
  readonly unknownId: () => string;
}

/** Which ids to abort, and how. */
export interface AbortPlan {
  /** Running tasks aborted: each must stop (`aborted`). */
  readonly runningTargets: ReadonlySet<string>;
  /** Queued tasks aborted: each must be skipped when it comes due (`skipped`). */
  readonly queuedTargets: ReadonlySet<string>;
  /** Ids of no task. */
  readonly unknown: number;
  /** Aborts of an id aborted elsewhere in the plan too. */
  readonly repeats: number;
  /** The `abort()` calls, in the order the client makes them. */
  readonly calls: readonly AbortCall[];
}

/**
 * Plans the aborts of a round: picks the targets among the running and queued tasks, adds repeats of
 * targets and ids of no task up to `aborts`, shuffles everything and cuts it into single calls and
 * batches. Pure and deterministic for a given seed (apart from `unknownId`).
 *
 * @example
 * ```ts
 * const plan = planAborts({ running, queued, aborts: 20_000, runningTargetShare: 0.5, queuedTargetShare: 0.5,
 *   repeatShare: 0.05, batchShare: 0.5, maxBatch: 100, seed: 1, unknownId: randomUUID });
 * ```
 * @param options - see {@link PlanAbortsOptions}.
 * @returns the plan.
 * @throws RangeError when `aborts` is smaller than the targets and repeats it must include.
 */
export function planAborts(options: PlanAbortsOptions): AbortPlan {
  const random = mulberry32(options.seed);
  const runningTargets = pick(options.running, options.runningTargetShare, random);
  const queuedTargets = pick(options.queued, options.queuedTargetShare, random);
  const targets = [...runningTargets, ...queuedTargets];
  const repeats = targets.length === 0 ? 0 : Math.floor(options.aborts * options.repeatShare);
  const unknown = options.aborts - targets.length - repeats;
  if (unknown < 0) {
    throw new RangeError(
      `--aborts ${options.aborts} is smaller than the ${targets.length} targets and ${repeats} repeats it must include`,
    );
  }
  const ids: string[] = [...targets];
  for (let i = 0; i < repeats; i++) ids.push(targets[Math.floor(random() * targets.length)] as string);
  for (let i = 0; i < unknown; i++) ids.push(options.unknownId());
  shuffle(ids, random);

  // A call is a batch with the probability that puts `batchShare` of the ids in batches on average.
  const meanBatch = (options.maxBatch + 1) / 2;
  const share = options.batchShare;
  const batchChance = share >= 1 ? 1 : share / (share + meanBatch * (1 - share));
  const calls: AbortCall[] = [];
  let next = 0;
  while (next < ids.length) {
    if (random() < batchChance) {
      const size = 1 + Math.floor(random() * options.maxBatch);
      calls.push({ ids: ids.slice(next, next + size), batch: true });
      next += size;
    } else {
      calls.push({ ids: [ids[next] as string], batch: false });
      next += 1;
    }
  }
  return {
    runningTargets: new Set(runningTargets),
    queuedTargets: new Set(queuedTargets),
    unknown,
    repeats,
    calls,
  };
}

/** A seeded pseudo-random generator of numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick(ids: readonly string[], share: number, random: () => number): string[] {
  const copy = [...ids];
  shuffle(copy, random);
  return copy.slice(0, Math.round(ids.length * share));
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
