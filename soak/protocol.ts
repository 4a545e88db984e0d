/**
 * The messages between the soak's parent process and its children (worker and client processes), and the
 * APIs each child serves. A child answers `call` messages with `reply` messages; a worker also sends its
 * task events unprompted, in batches (`events`).
 */

/** The queue the abortable tasks run from: consumed from the start of each round. */
export const RUNNING_QUEUE = 'soak';
/** The queue of the tasks kept queued: no worker consumes it until every abort was issued. */
export const QUEUED_QUEUE = 'soak_later';
/** The actor of the running tasks. */
export const RUNNING_ACTOR = 'soak_running';
/** The actor of the queued tasks. */
export const QUEUED_ACTOR = 'soak_queued';

/** A call from the parent to a child. */
export interface CallMessage {
  readonly kind: 'call';
  readonly seq: number;
  readonly method: string;
  readonly arg: unknown;
}

/** A child's answer to a {@link CallMessage}. */
export type ReplyMessage =
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: false; readonly error: string };

/** Task events a worker process reports, in the order its workers emitted them. */
export interface EventsMessage {
  readonly kind: 'events';
  readonly events: readonly SoakEvent[];
}

/** Anything a child sends its parent. */
export type ChildMessage = ReplyMessage | EventsMessage;

/** A `WorkerEvent`, reduced to what the soak verifies (errors as text). */
export interface SoakEvent {
  /** The `WorkerEvent` type (`received`, `started`, `aborted`, `skipped`, `succeeded`, ...). */
  readonly type: string;
  /** The process that ran the worker. */
  readonly pid: number;
  /** The worker's clock (milliseconds since the epoch). */
  readonly at: number;
  readonly messageId?: string;
  readonly queueName?: string;
  /** `aborted`: whether the handler had been called. */
  readonly started?: boolean;
  /** `skipped`: the mode of the mark. */
  readonly mode?: string;
  /** `requeued`: why. */
  readonly reason?: string;
  /** `failed`, `requeued`, `error`: the error, as text. */
  readonly error?: string;
}

/** The API a child serves: methods taking one structured-clonable argument. */
export type ChildApi = Record<string, (arg: never) => Promise<unknown>>;

/** Listener counts per event name, per emitter (`{ backendClient: { ready: 1, error: 1 } }`). */
export type ListenerCounts = Record<string, Record<string, number>>;

/** What a worker process reports about itself between rounds. */
export interface WorkerSnapshot {
  readonly pid: number;
  /** `process.memoryUsage().heapUsed` right after `global.gc()`, in bytes. */
  readonly heapUsed: number;
  /** `backend.watchedIds`: ids the process still watches. */
  readonly watchedIds: number;
  /** Listeners on the backend's client, its subscriber connection and the broker's client. */
  readonly listeners: ListenerCounts;
  /** Messages its workers hold (received and not settled). */
  readonly running: number;
  /** Errors its own ioredis clients emitted so far (connection trouble), with the last one. */
  readonly connectionErrors: number;
  readonly lastConnectionError?: string;
}

/** Settings of a worker process. */
export interface WorkerInit {
  readonly url: string;
  /** The run's key prefix (broker keys under `${prefix}broker:`, marks under `${prefix}abort:`). */
  readonly prefix: string;
  /** Concurrency of the worker on the running queue. */
  readonly concurrency: number;
  /** Concurrency of the worker on the queued queue. */
  readonly queuedConcurrency: number;
}

/** The API of a worker process (see `workerProcess.ts`). */
export interface WorkerApi extends ChildApi {
  /** Connects, declares the actors and checks notifications; the baseline snapshot. */
  init(arg: WorkerInit): Promise<WorkerSnapshot>;
  /** Collects garbage, snapshots, then starts a worker on the running queue. */
  startRound(arg: { readonly round: number }): Promise<WorkerSnapshot>;
  /** Lets every task still running complete (those nobody aborted). */
  release(arg: null): Promise<void>;
  /** Starts a worker on the queued queue. */
  drain(arg: null): Promise<void>;
  /** Stops the round's workers, flushes the events, collects garbage and snapshots. */
  endRound(arg: null): Promise<WorkerSnapshot>;
  /** Closes the broker, the backend and their connections. */
  close(arg: null): Promise<void>;
}

/** One `abort()` call of the client: one id (`abort(id)`) or a batch (`abort([...ids])`). */
export interface AbortCall {
  readonly ids: readonly string[];
  readonly batch: boolean;
}

/** What the client process did in one round. */
export interface ClientResult {
  /** Ids passed to `abort()`, over all calls. */
  readonly issued: number;
  readonly calls: number;
  /** Calls that rejected, with the first few errors. */
  readonly failedCalls: number;
  readonly errors: readonly string[];
  /** Per call, when it was made (the client's `Date.now()`). */
  readonly sentAt: readonly number[];
  /** From the first call to the last resolution, in milliseconds. */
  readonly durationMs: number;
  /** The client's `heapUsed` after `global.gc()` at the end of the round, in bytes. */
  readonly heapUsed: number;
}

/** The API of the client process (see `clientProcess.ts`). */
export interface ClientApi extends ChildApi {
  /** Connects and checks that Redis answers. */
  init(arg: { readonly url: string; readonly prefix: string }): Promise<void>;
  /** Issues the calls at full speed, at most `inFlight` at once, and waits for every one. */
  abort(arg: {
    readonly calls: readonly AbortCall[];
    readonly inFlight: number;
    readonly abortTtl: number;
  }): Promise<ClientResult>;
  /** Closes the backend. */
  close(arg: null): Promise<void>;
}
