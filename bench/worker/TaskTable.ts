import { finalize, interval, NEVER, type Observable, type Subscription } from 'rxjs';
import { now } from '../clock.js';
import type { CutStyle, WorkerSystem } from './WorkerSystem.js';

/**
 * What a started entry is:
 * - `'full'`: a running task cut by the system (`source.pipe(cut(id), finalize(...))`), the benchmark's
 *   unit of "one watched id";
 * - `'task'`: the same task without the cut (heap breakdown: what the task itself costs);
 * - `'watch'`: the system's bare watch, without a task (heap breakdown: what watching costs).
 */
export type TaskMode = 'full' | 'task' | 'watch';

/**
 * The task's source: `'never'` is `NEVER` for every task; `'mixed'` alternates `interval(1000)` and `NEVER`
 * sources and `complete` / `error` cuts, so both operators and both kinds of source are exercised.
 */
export type TaskShape = 'never' | 'mixed';

interface RunningTask {
  readonly id: string;
  readonly startedAt: number;
  readonly subscription: Subscription;
  /** Position in `all` (swap-remove). */
  index: number;
  /** Picked as an abort target: churn must not finish it. */
  reserved: boolean;
  /** Finished by the benchmark, not aborted: its teardown is not an abort teardown. */
  finishing: boolean;
}

/** A task picked as an abort target. */
export interface PickedTask {
  readonly id: string;
  /** When it started (shared clock, ms). */
  readonly startedAt: number;
}

/** Options of {@link TaskTable}. */
export interface TaskTableOptions {
  /** The system that watches the tasks. */
  system: WorkerSystem;
  /** Called with the shared-clock time when an aborted task's teardown runs. */
  onAbortTeardown(id: string, at: number): void;
  /** Prefix of generated ids. */
  idPrefix: string;
}

const YOUNG_MS = 1000;
const PICK_TRIES = 64;

/**
 * The running tasks of one worker process: starts them (each a pipeline cut by the system under test,
 * whose `finalize` records the teardown time), finishes them, and picks abort targets by age.
 */
export class TaskTable {
  readonly #system: WorkerSystem;
  readonly #onAbortTeardown: (id: string, at: number) => void;
  readonly #idPrefix: string;
  readonly #tasks = new Map<string, RunningTask>();
  /** Every running task, unordered, for O(1) random picks. */
  readonly #all: RunningTask[] = [];
  /** Tasks in start order since the last prune, for young picks. */
  #recent: RunningTask[] = [];
  #seq = 0;

  /** @param options - see {@link TaskTableOptions}. */
  constructor(options: TaskTableOptions) {
    this.#system = options.system;
    this.#onAbortTeardown = options.onAbortTeardown;
    this.#idPrefix = options.idPrefix;
  }

  /** Running tasks. */
  get size(): number {
    return this.#tasks.size;
  }

  /** The ids of every running task. */
  ids(): string[] {
    return [...this.#tasks.keys()];
  }

  /**
   * Starts one task with a new id.
   * @returns its id.
   */
  start(mode: TaskMode, shape: TaskShape): string {
    const seq = this.#seq++;
    const id = `${this.#idPrefix}${seq}`;
    const source: Observable<number> = shape === 'mixed' && seq % 2 === 0 ? interval(1000) : NEVER;
    const style: CutStyle = shape === 'mixed' && Math.floor(seq / 2) % 2 === 1 ? 'error' : 'complete';
    const onTeardown = (): void => {
      const at = now();
      const task = this.#tasks.get(id);
      if (task === undefined) return;
      this.#remove(task);
      if (!task.finishing) this.#onAbortTeardown(id, at);
    };
    let observable: Observable<unknown>;
    if (mode === 'watch') observable = this.#system.watch(id).pipe(finalize(onTeardown));
    else if (mode === 'task') observable = source.pipe(finalize(onTeardown));
    else observable = source.pipe(this.#system.cut(id, style), finalize(onTeardown));
    const task: RunningTask = {
      id,
      startedAt: now(),
      subscription: undefined as unknown as Subscription,
      index: this.#all.length,
      reserved: false,
      finishing: false,
    };
    this.#tasks.set(id, task);
    this.#all.push(task);
    this.#recent.push(task);
    (task as { subscription: Subscription }).subscription = observable.subscribe({ error: () => {} });
    return id;
  }

  /** Finishes a task normally (not an abort). @returns whether it was running. */
  finish(id: string): boolean {
    const task = this.#tasks.get(id);
    if (task === undefined) return false;
    task.finishing = true;
    task.subscription.unsubscribe();
    this.#remove(task);
    return true;
  }

  /** Finishes every running task. @returns how many. */
  finishAll(): number {
    const ids = this.ids();
    for (const id of ids) this.finish(id);
    this.#recent = [];
    return ids.length;
  }

  /**
   * Finishes one random task that is at least a second old and not reserved (churn).
   * @returns whether one was found within a bounded number of tries.
   */
  finishRandomOld(): boolean {
    const task = this.#randomOld();
    return task === undefined ? false : this.finish(task.id);
  }

  /**
   * Picks a random running task, younger than a second (`young`) or older, and reserves it.
   * @returns the task and its age, or null when none fits.
   */
  pick(young: boolean): PickedTask | null {
    const task = young ? this.#randomYoung() : this.#randomOld();
    if (task === undefined) return null;
    task.reserved = true;
    return { id: task.id, startedAt: task.startedAt };
  }

  #randomOld(): RunningTask | undefined {
    const cutoff = now() - YOUNG_MS;
    for (let i = 0; i < PICK_TRIES && this.#all.length > 0; i++) {
      const task = this.#all[Math.floor(Math.random() * this.#all.length)];
      if (task !== undefined && !task.reserved && task.startedAt <= cutoff) return task;
    }
    return undefined;
  }

  #randomYoung(): RunningTask | undefined {
    const cutoff = now() - YOUNG_MS;
    let first = 0;
    while (first < this.#recent.length && (this.#recent[first]?.startedAt ?? 0) <= cutoff) first++;
    this.#recent = this.#recent.slice(first);
    const candidates = this.#recent.filter((task) => !task.reserved && this.#tasks.has(task.id));
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  #remove(task: RunningTask): void {
    if (this.#tasks.get(task.id) !== task) return;
    this.#tasks.delete(task.id);
    const last = this.#all.pop();
    if (last !== undefined && last !== task) {
      last.index = task.index;
      this.#all[task.index] = last;
    }
  }
}
