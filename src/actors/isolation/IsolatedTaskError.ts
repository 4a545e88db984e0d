import type { IsolateFailure, SerializedError } from './protocol.js';

/**
 * Why an isolated task failed: see {@link IsolatedTaskError.reason}.
 *
 * @example
 * ```ts
 * import type { IsolatedTaskFailure } from 'rx-abort';
 * const worthAlerting = (reason: IsolatedTaskFailure) => reason === 'crashed' || reason === 'spawn-failed';
 * ```
 */
export type IsolatedTaskFailure = IsolateFailure | 'crashed' | 'spawn-failed';

/**
 * How an isolated actor's task fails (see `actor(name, moduleUrl, { isolation })`): the handler threw in
 * its isolate, its result could not be structured-cloned back, its module could not be loaded, or the
 * isolate died under it (`process.exit`, an uncaught error, out of memory, a signal). The error keeps the
 * original `message` and `stack` (so logs point into the handler's module) and the original error's
 * `name` and `code` in {@link IsolatedTaskError.remote}; `cause` holds the same as an `Error`. A failed
 * task is retried per the actor's `maxRetries`, like any failure.
 *
 * @example
 * ```ts
 * import { IsolatedTaskError, Worker, getBroker } from 'rx-abort';
 * const worker = new Worker(getBroker(), { queues: ['default'] }).start();
 * worker.events$.subscribe((event) => {
 *   if (event.type === 'failed' && event.error instanceof IsolatedTaskError) {
 *     console.log(event.error.reason, event.error.remote.name, event.error.message);
 *   }
 * });
 * await worker.stop();
 * ```
 */
export class IsolatedTaskError extends Error {
  /** Always `'IsolatedTaskError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'IsolatedTaskError';
  /** `'threw'`, `'uncloneable-result'`, `'load-failed'`, `'crashed'` or `'spawn-failed'`. */
  readonly reason: IsolatedTaskFailure;
  /** The actor whose task failed. */
  readonly actorName: string;
  /** The message whose task failed. */
  readonly messageId: string;
  /** The original error as it crossed the boundary: its `name`, `message`, `stack` and `code`. */
  readonly remote: SerializedError;

  /**
   * @param reason - why it failed.
   * @param actorName - the actor.
   * @param messageId - the message.
   * @param remote - the original error (its message becomes this error's message, its stack this stack).
   */
  constructor(reason: IsolatedTaskFailure, actorName: string, messageId: string, remote: SerializedError) {
    const cause = new Error(remote.message);
    cause.name = remote.name;
    if (remote.stack !== undefined) cause.stack = remote.stack;
    super(remote.message, { cause });
    this.reason = reason;
    this.actorName = actorName;
    this.messageId = messageId;
    this.remote = remote;
    if (remote.stack !== undefined) {
      this.stack = `${this.name} [${reason}] from ${remote.stack}\n    at isolate of actor ${JSON.stringify(actorName)}`;
    }
  }
}
