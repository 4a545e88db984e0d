import type { AbortEvent, AbortOptions, AbortOutcome, AbortOutcomeReport } from '../src/index.js';

/**
 * The shape of a behaviour scenario in the marble catalogue.
 *
 * Every marble string shares one time axis: one character is one virtual millisecond (frame) from the start
 * of the run, `^` / `!` mark a subscription and its end, `(..)` groups what happens in one frame, `|` is
 * completion and `#` an error. `test/core/marbles.test.ts` runs each case with `TestScheduler.run` against a
 * `MemoryBackend` (whose TTL clock is then virtual) and `marbles/render.ts` draws it for `marbles/README.md`.
 *
 * The `at` of an expected {@link AbortEvent} is the frame of the `abort()` call: the test pins `Date.now()`
 * to the virtual clock.
 */
export interface MarbleCase {
  /** Short name, used as the test name and the README heading. */
  readonly name: string;
  /** What the scenario shows, in a sentence or two of Markdown (code in backticks: Biome formats it). */
  readonly description: string;
  /** The Abortable's default `abortTtl`, in frames. @default 90_000 */
  readonly abortTtl?: number;
  /** When `abort()` is called: each letter is a key of {@link calls}. */
  readonly aborts: string;
  /** The `abort()` calls the letters of {@link aborts} stand for. */
  readonly calls: Readonly<Record<string, AbortCall>>;
  /** The subscribers and what each must see. */
  readonly watchers: readonly Watcher[];
  /**
   * For every id the backend is asked to watch, the expected subscriptions of `backend.watch(id)`: proof of
   * when each watch is established and released. An id missing here must never be watched.
   */
  readonly watches: Readonly<Record<string, readonly string[]>>;
  /**
   * When a worker reports an outcome (`abortable.reportOutcome(value)`): letters are keys of `values`.
   * Reported outcomes live the Abortable's `abortTtl`.
   */
  readonly reports?: {
    readonly marbles: string;
    readonly values: Readonly<Record<string, AbortOutcomeReport>>;
  };
  /**
   * For every id whose outcomes the backend is asked to watch, the expected subscriptions of
   * `backend.watchOutcome(id)`. An id missing here must never have its outcomes watched.
   */
  readonly outcomeWatches?: Readonly<Record<string, readonly string[]>>;
  /** Checks made at given frames (letters are keys of `values`). */
  readonly probes?: {
    readonly marbles: string;
    readonly values: Readonly<Record<string, Probe>>;
  };
}

/** One `abortable.abort(ids, options)` call. */
export interface AbortCall {
  readonly ids: string | readonly string[];
  readonly options?: AbortOptions;
}

/** A subscriber of `abort$(id)` or `outcome$(id)`, or of a hot source piped through one of the abort operators. */
export type Watcher = AbortWatcher | OperatorWatcher;

interface WatcherBase {
  /** The task id watched. */
  readonly id: string;
  /** Tells watchers apart in the diagram when there are several. */
  readonly name?: string;
  /** When the watcher subscribes and, with `!`, unsubscribes. @default '^' (at frame 0, until it ends) */
  readonly subscription?: string;
  /** What the watcher must receive. */
  readonly expected: string;
  /** The values of the letters of {@link expected}. @default the letters themselves */
  readonly values?: Readonly<Record<string, unknown>>;
  /** The error of a `#` in {@link expected}. */
  readonly error?: unknown;
}

/** `abortable.abort$(id)`, or `abortable.outcome$(id)`. */
export interface AbortWatcher extends WatcherBase {
  readonly op: 'abort$' | 'outcome$';
}

/** `source.pipe(takeUntilAborted(id))` or `source.pipe(throwOnAbort(id))`. */
export interface OperatorWatcher extends WatcherBase {
  readonly op: 'takeUntilAborted' | 'throwOnAbort';
  /** A hot source (letters are emitted as strings) and its expected subscriptions. */
  readonly source: {
    readonly marbles: string;
    readonly subscriptions: readonly string[];
  };
}

/** Something checked at one frame of a scenario. */
export type Probe =
  | {
      /** `backend.watchedIds`: the ids the backend holds a watch for. */
      readonly probe: 'watchedIds';
      readonly expected: number;
    }
  | {
      /** `abortable.aborted(id)`: the live mark of `id` in either mode. */
      readonly probe: 'aborted';
      readonly id: string;
      readonly expected: AbortEvent | null;
    };

/** The event `abort(id)` writes at frame `at` with the default options, plus `overrides`. */
export const abortEvent = (id: string, at: number, overrides: Partial<AbortEvent> = {}): AbortEvent => ({
  id,
  mode: 'abort',
  abortTimeout: 0,
  at,
  ...overrides,
});

/** A probe of `backend.watchedIds`. */
export const watchedIds = (expected: number): Probe => ({ probe: 'watchedIds', expected });

/** A probe of `abortable.aborted(id)`. */
export const aborted = (id: string, expected: AbortEvent | null): Probe => ({
  probe: 'aborted',
  id,
  expected,
});

/** The outcome `reportOutcome(report)` stores at frame `at` (its default `at`). */
export const abortOutcome = (report: AbortOutcomeReport, at: number): AbortOutcome => ({ ...report, at });
