import type { AbortPlan } from './planAborts.js';
import type { SoakEvent } from './protocol.js';

/** Which of the round's tasks a task is. */
export type TaskKind = 'running' | 'queued';

/** The final event types of a message (exactly one per delivery). */
const FINAL_TYPES = new Set(['skipped', 'succeeded', 'failed', 'retried', 'aborted', 'requeued']);

interface TaskRecord {
  readonly kind: TaskKind;
  started: number;
  readonly finals: SoakEvent[];
}

/** What a round's events say about its aborts. */
export interface RoundVerdict {
  /** Distinct ids aborted: running targets plus queued targets. */
  readonly targets: number;
  /** Targets that ended as they must: running ones `aborted`, queued ones `skipped`. */
  readonly landed: number;
  /** Targets that did not. */
  readonly lost: number;
  /** Tasks nobody aborted that were aborted or skipped all the same. */
  readonly touched: number;
  /** Tasks with more than one final event, or started more than once. */
  readonly duplicates: number;
  /** Anything else out of place: other outcomes, missing outcomes, events of no task, worker errors. */
  readonly unexpected: number;
  /** The first problems found, in words. */
  readonly problems: readonly string[];
  /** From the client's call to the worker's `aborted` event, over the running targets, in ms. */
  readonly stopLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
}

const MAX_PROBLEMS = 20;

/**
 * Everything the workers reported about one round's tasks, folded per message id as it arrives, and the
 * checks run on it: which tasks started, which ended, and how.
 *
 * @example
 * ```ts
 * const ledger = new TaskLedger();
 * for (const id of runningIds) ledger.expect(id, 'running');
 * worker.onEvents((events) => ledger.record(events));
 * const verdict = ledger.verdict(plan, sentAt);
 * ```
 */
export class TaskLedger {
  readonly #tasks = new Map<string, TaskRecord>();
  /** Events of ids not expected (yet): a worker may report a task before `send()` resolved here. */
  readonly #early = new Map<string, SoakEvent[]>();
  readonly #strays: SoakEvent[] = [];
  readonly #errors: SoakEvent[] = [];
  #started = 0;
  #settled = 0;

  /** Registers a task of the round, and folds in what was reported about it before. */
  expect(messageId: string, kind: TaskKind): void {
    this.#tasks.set(messageId, { kind, started: 0, finals: [] });
    const early = this.#early.get(messageId);
    if (early !== undefined) {
      this.#early.delete(messageId);
      this.record(early);
    }
  }

  /** Folds a batch of events in. */
  record(events: readonly SoakEvent[]): void {
    for (const event of events) {
      if (event.type === 'error') {
        this.#errors.push(event);
        continue;
      }
      if (event.messageId === undefined) {
        this.#strays.push(event);
        continue;
      }
      const task = this.#tasks.get(event.messageId);
      if (task === undefined) {
        const early = this.#early.get(event.messageId);
        if (early === undefined) this.#early.set(event.messageId, [event]);
        else early.push(event);
        continue;
      }
      if (event.type === 'started' && task.started++ === 0) this.#started++;
      if (FINAL_TYPES.has(event.type) && task.finals.push(event) === 1) this.#settled++;
    }
  }

  /** Tasks started at least once. */
  get started(): number {
    return this.#started;
  }

  /** Tasks with a final event. */
  get settled(): number {
    return this.#settled;
  }

  /** Tasks expected. */
  get size(): number {
    return this.#tasks.size;
  }

  /** How many of `ids` have a final event. */
  settledAmong(ids: Iterable<string>): number {
    let count = 0;
    for (const id of ids) if ((this.#tasks.get(id)?.finals.length ?? 0) > 0) count++;
    return count;
  }

  /** The latest time (worker clock) at which one of `ids` got its first final event, if any did. */
  lastFinalAt(ids: Iterable<string>): number | undefined {
    let last: number | undefined;
    for (const id of ids) {
      const at = this.#tasks.get(id)?.finals[0]?.at;
      if (at !== undefined && (last === undefined || at > last)) last = at;
    }
    return last;
  }

  /**
   * Checks every task against the plan: each running target `aborted` after it started, each queued
   * target `skipped` without starting, every other task `succeeded`, exactly one outcome each.
   * @param plan - the round's aborts.
   * @param sentAt - when the first abort of each id was sent (for the stop latency).
   */
  verdict(plan: AbortPlan, sentAt: ReadonlyMap<string, number>): RoundVerdict {
    const problems: string[] = [];
    const note = (problem: string): void => {
      if (problems.length < MAX_PROBLEMS) problems.push(problem);
    };
    let landed = 0;
    let touched = 0;
    let duplicates = 0;
    let unexpected = 0;
    const latencies: number[] = [];
    for (const [id, task] of this.#tasks) {
      const target = plan.runningTargets.has(id) || plan.queuedTargets.has(id);
      const [final, ...more] = task.finals;
      if (more.length > 0 || task.started > 1) {
        duplicates++;
        note(`${id}: ${task.finals.map((event) => event.type).join(', ')}, started ${task.started} times`);
      }
      if (target) {
        const expected = task.kind === 'running' ? 'aborted' : 'skipped';
        const ok =
          final?.type === expected &&
          (task.kind === 'running' ? final.started === true : task.started === 0 && final.mode === 'abort');
        if (ok) {
          landed++;
          const sent = sentAt.get(id);
          if (task.kind === 'running' && sent !== undefined) latencies.push(final.at - sent);
        } else {
          note(`${task.kind} target ${id} ended ${describe(final)} instead of ${expected}`);
        }
        continue;
      }
      if (final?.type === 'aborted' || final?.type === 'skipped') {
        touched++;
        note(`${task.kind} task ${id}, not aborted, ended ${describe(final)}`);
      } else if (final?.type !== 'succeeded') {
        unexpected++;
        note(`${task.kind} task ${id}, not aborted, ended ${describe(final)}`);
      }
    }
    for (const event of [...this.#errors, ...this.#strays, ...[...this.#early.values()].flat()]) {
      unexpected++;
      note(`worker ${event.pid}: ${event.type} ${event.messageId ?? ''} ${event.error ?? ''}`.trim());
    }
    const targets = plan.runningTargets.size + plan.queuedTargets.size;
    return {
      targets,
      landed,
      lost: targets - landed,
      touched,
      duplicates,
      unexpected,
      problems,
      stopLatencyMs: summarize(latencies),
    };
  }
}

const describe = (event: SoakEvent | undefined): string =>
  event === undefined
    ? 'without an outcome'
    : `${event.type}${event.reason === undefined ? '' : ` (${event.reason})`}${event.error === undefined ? '' : `: ${event.error}`}`;

function summarize(values: number[]): RoundVerdict['stopLatencyMs'] {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))] as number;
  return { p50: at(0.5), p99: at(0.99), max: values[values.length - 1] as number };
}
