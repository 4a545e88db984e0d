/**
 * Why a worker did not run a message: the pre-start abort check (`abortable.aborted(messageId)`) kept
 * failing, typically because Redis is unreachable. The worker never runs an abortable task it could not
 * check. Reported as the `error` of a `requeued` worker event, with the last failure as `cause`; when that
 * failure can never heal (see `isPermanentError`: NOPERM, WRONGPASS, ...), as the `error` of a final
 * `failed` event instead (the message is acknowledged, never looped).
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
   * @param outcome - what became of the message: returned to the queue, or failed for good.
   */
  constructor(
    messageId: string,
    attempts: number,
    cause: unknown,
    outcome: 'requeued' | 'failed' = 'requeued',
  ) {
    super(
      `Could not check whether message ${JSON.stringify(messageId)} was aborted (${attempts} attempts); ` +
        (outcome === 'requeued'
          ? 'it was returned to the queue'
          : `it was failed without running, since the failure cannot heal by retrying (${
              cause instanceof Error ? cause.message : String(cause)
            })`),
      { cause },
    );
    this.messageId = messageId;
    this.attempts = attempts;
  }
}
