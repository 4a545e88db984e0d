/**
 * Why a worker returned a message to the queue without running it: the pre-start abort check
 * (`abortable.aborted(messageId)`) kept failing, typically because Redis is unreachable. The worker never
 * runs an abortable task it could not check. Reported as the `error` of a `requeued` worker event, with the
 * last failure as `cause`.
 *
 * @example
 * ```ts
 * import { AbortCheckError, MemoryBroker, Worker } from 'rx-abort';
 * const worker = new Worker(new MemoryBroker(), { queues: ['default'] });
 * worker.events$.subscribe((event) => {
 *   if (event.type === 'requeued' && event.error instanceof AbortCheckError) console.log(event.error.cause);
 * });
 * ```
 */
export class AbortCheckError extends Error {
  /** Always `'AbortCheckError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'AbortCheckError';
  /** The message whose check failed. */
  readonly messageId: string;
  /** How many times the check was tried. */
  readonly attempts: number;

  /**
   * @param messageId - the message whose check failed.
   * @param attempts - how many times the check was tried.
   * @param cause - the last failure.
   */
  constructor(messageId: string, attempts: number, cause: unknown) {
    super(
      `Could not check whether message ${JSON.stringify(messageId)} was aborted (${attempts} attempts); it was returned to the queue`,
      { cause },
    );
    this.messageId = messageId;
    this.attempts = attempts;
  }
}
