import type { AbortEvent } from '../core/AbortEvent.js';
import type { AbortMode } from '../core/AbortMode.js';

/** Fields every event about one message carries. */
export interface MessageEventFields {
  /** The worker that emitted it. */
  readonly workerId: string;
  /** When, in the worker's clock (milliseconds since the epoch). */
  readonly at: number;
  /** The message. */
  readonly messageId: string;
  /** Its actor's name. */
  readonly actorName: string;
  /** Its queue. */
  readonly queueName: string;
  /** How many attempts failed before this one. */
  readonly retries: number;
}

/**
 * A lifecycle event of a {@link Worker}, emitted by `worker.events$`. Each message received gets a
 * `received` event, a `started` event if its handler is called, then exactly one final event:
 *
 * - `skipped`: aborted before it started (pre-start check); acknowledged, the handler never called.
 * - `succeeded`: the task completed (`abortRequested` says whether a graceful abort was under way).
 * - `failed`: the task failed for good (or its actor is unknown); acknowledged.
 * - `retried`: the task failed and a retry was enqueued (same `messageId`, after `delay` ms); acknowledged.
 * - `aborted`: the task was stopped by an abort (or never started, when the abort landed just before);
 *   acknowledged, never retried.
 * - `requeued`: returned to the queue without a result: the worker stopped (`reason: 'shutdown'`), or the
 *   pre-start abort check kept failing (`'abort-check-failed'`), or a retry could not be enqueued
 *   (`'retry-failed'`).
 *
 * `error` events report problems outside a task's outcome (receiving failed, an ack failed, an abort
 * outcome could not be reported: {@link OutcomeReportError}); the worker keeps going.
 *
 * @example
 * ```ts
 * import { MemoryBroker, Worker, type WorkerEvent } from 'rx-abort';
 * const worker = new Worker(new MemoryBroker(), { queues: ['default'] });
 * worker.events$.subscribe((event: WorkerEvent) => {
 *   if (event.type === 'aborted') console.log(event.messageId, 'stopped after', event.durationMs, 'ms');
 * });
 * ```
 */
export type WorkerEvent =
  | (MessageEventFields & {
      /** The message was taken from the queue. */ readonly type: 'received';
    })
  | (MessageEventFields & {
      /** The message was skipped by the pre-start abort check. */
      readonly type: 'skipped';
      /** The mode of the abort that skipped it. */
      readonly mode: AbortMode;
      /** The abort mark. */
      readonly event: AbortEvent;
    })
  | (MessageEventFields & {
      /** The message was its handler was called. */ readonly type: 'started';
    })
  | (MessageEventFields & {
      /** The message was the task completed. */
      readonly type: 'succeeded';
      /** Milliseconds from the handler call to completion. */
      readonly durationMs: number;
      /** The last value the task emitted, or what its promise resolved to. */
      readonly result: unknown;
      /** Whether a graceful abort was requested while it ran (and it finished in time). */
      readonly abortRequested: boolean;
    })
  | (MessageEventFields & {
      /** The message was the task failed for good. */
      readonly type: 'failed';
      /** Milliseconds from the handler call to the failure; absent when the handler was never called. */
      readonly durationMs?: number;
      /** The failure: what the task threw or errored with, or an ActorNotFoundError. */
      readonly error: unknown;
    })
  | (MessageEventFields & {
      /** The message was the attempt failed and a retry was enqueued. */
      readonly type: 'retried';
      /** Milliseconds from the handler call to the failure. */
      readonly durationMs: number;
      /** The failure of this attempt. */
      readonly error: unknown;
      /** Milliseconds until the retry may start. */
      readonly delay: number;
    })
  | (MessageEventFields & {
      /** The message was the task was stopped by an abort. */
      readonly type: 'aborted';
      /** Milliseconds from the handler call to the stop; absent when the handler was never called. */
      readonly durationMs?: number;
      /** The abort. */
      readonly event: AbortEvent;
      /** Whether the handler had been called. */
      readonly started: boolean;
      /** Whether it was a graceful abort (`abortTimeout > 0`) that reached its deadline. */
      readonly graceful: boolean;
    })
  | (MessageEventFields & {
      /** The message was returned to the queue unrun or unfinished. */
      readonly type: 'requeued';
      /** Why it went back: the worker stopped, the pre-start abort check kept failing, or a retry could not be enqueued. */
      readonly reason: 'shutdown' | 'abort-check-failed' | 'retry-failed';
      /** Milliseconds from the handler call to the stop, when it had started. */
      readonly durationMs?: number;
      /** Why (an {@link AbortCheckError} for `'abort-check-failed'`). */
      readonly error?: unknown;
    })
  | {
      /** A problem outside a task's outcome: receiving or acknowledging failed; the worker keeps going. */
      readonly type: 'error';
      /** The worker that emitted it. */
      readonly workerId: string;
      /** When, in the worker's clock (milliseconds since the epoch). */
      readonly at: number;
      /** The message concerned, if any. */
      readonly messageId?: string;
      /** What went wrong. */
      readonly error: unknown;
    };

/** The `type` of a {@link WorkerEvent}. */
export type WorkerEventType = WorkerEvent['type'];
