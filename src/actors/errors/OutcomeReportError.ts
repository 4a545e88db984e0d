import type { AbortOutcomeKind } from '../../core/AbortOutcome.js';

/**
 * A worker acted on an abort (skipped or stopped the task) but could not report its outcome to the event
 * backend, typically because Redis was unreachable: `outcome$()` and `abortAndWait()` will not hear of it
 * (`abortAndWait` resolves `null` for the id). The task itself was settled normally. Reported as the
 * `error` of an `error` worker event, with the backend's failure as `cause`.
 *
 * @example
 * ```ts
 * import { MemoryBroker, OutcomeReportError, Worker } from 'rx-abort';
 * const worker = new Worker(new MemoryBroker(), { queues: ['default'] });
 * worker.events$.subscribe((event) => {
 *   if (event.type === 'error' && event.error instanceof OutcomeReportError) console.log(event.error.cause);
 * });
 * ```
 */
export class OutcomeReportError extends Error {
  /** Always `'OutcomeReportError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'OutcomeReportError';
  /** The message whose outcome was not reported. */
  readonly messageId: string;
  /** The outcome that was not reported. */
  readonly outcome: AbortOutcomeKind;

  /**
   * @param messageId - the message whose outcome was not reported.
   * @param outcome - the outcome.
   * @param cause - the backend's failure.
   */
  constructor(messageId: string, outcome: AbortOutcomeKind, cause: unknown) {
    super(
      `Could not report the abort outcome '${outcome}' of message ${JSON.stringify(messageId)}; the task was settled, but outcome$() and abortAndWait() will not see it`,
      { cause },
    );
    this.messageId = messageId;
    this.outcome = outcome;
  }
}
