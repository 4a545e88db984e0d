/**
 * Thrown by the top-level `abort`, `abort$`, `aborted` and `abortSignal` when no `{ abortable }` option is
 * passed and no process-wide default is configured.
 *
 * @example
 * ```ts
 * import { NoAbortableError, abort } from 'rx-abort';
 * try {
 *   void abort('job-1');
 * } catch (error) {
 *   if (error instanceof NoAbortableError) console.log(error.message);
 * }
 * ```
 */
export class NoAbortableError extends Error {
  /** Always `'NoAbortableError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'NoAbortableError';
  constructor() {
    super(
      'No Abortable is configured. Pass { abortable } to this call, add one to the default broker ' +
        '(getBroker().addMiddleware(new Abortable({ backend }))), or call setDefaultAbortable(new Abortable({ backend })).',
    );
  }
}
