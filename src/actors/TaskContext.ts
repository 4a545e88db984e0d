import type { Observable } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';
import type { Message } from './Message.js';

/**
 * A graceful abort request, emitted by {@link TaskContext.abortRequested$} when the running task is aborted
 * with `abortTimeout > 0`: finish (or clean up) within `timeLeft` milliseconds, or be stopped hard.
 *
 * @example
 * ```ts
 * import type { AbortRequest } from 'rx-abort';
 * const log = (request: AbortRequest) => console.log(`stopping in ${request.timeLeft} ms`, request.event.reason);
 * ```
 */
export interface AbortRequest {
  /** The abort that was requested. */
  readonly event: AbortEvent;
  /** When the task is stopped hard, in the worker's clock (milliseconds since the epoch). */
  readonly deadline: number;
  /** Milliseconds left before the hard stop, when the request was emitted (its `abortTimeout`). */
  readonly timeLeft: number;
}

/**
 * What a handler receives as its last argument, after the message args: the message id, an
 * `AbortSignal` to pass to `fetch` and friends, and the graceful-abort stream.
 *
 * - `signal` aborts when the task is stopped: with an {@link Abort} when it is aborted (at once, or at the
 *   deadline of a graceful abort), or with a {@link WorkerStoppedError} when its worker stops before it
 *   finished. The handler's pipeline is unsubscribed at the same moment, so its teardown runs.
 * - `abortRequested$` emits one {@link AbortRequest} when the task is aborted with `abortTimeout > 0`
 *   (graceful abort), then completes when the task ends. It replays the request to late subscribers.
 * - `abortRequested()` is the synchronous form, like dramatiq-abort's `abort_requested()`: the milliseconds
 *   left before the hard stop, or `null` while no graceful abort was requested.
 *
 * @example
 * ```ts
 * import { from, takeUntil } from 'rxjs';
 * import { MemoryBroker, actor, type TaskContext } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const countWords = actor(
 *   'count_words',
 *   (url: string, { signal, abortRequested$ }: TaskContext) =>
 *     from(fetch(url, { signal }).then((response) => response.text())).pipe(
 *       takeUntil(abortRequested$), // give up quietly on a graceful abort
 *     ),
 *   { broker },
 * );
 * await countWords.send('https://example.com');
 * ```
 */
export interface TaskContext {
  /** The id of the message being processed (the id to abort it with). */
  readonly messageId: string;
  /** The message being processed. */
  readonly message: Message;
  /** Aborts when the task is stopped (see above); its `reason` says why. */
  readonly signal: AbortSignal;
  /** Emits once on a graceful abort (`abortTimeout > 0`), replayed to late subscribers; completes when the task ends. */
  readonly abortRequested$: Observable<AbortRequest>;
  /** Milliseconds left before a requested graceful abort stops the task hard, or `null` when none was requested. */
  abortRequested(): number | null;
}
