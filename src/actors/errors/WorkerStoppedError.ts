/**
 * The `reason` a task's `signal` aborts with when its worker stops and the task did not finish within the
 * stop timeout (or the worker's pipeline was torn down). Such a task is not user-aborted: its message is
 * returned to the queue, so another worker runs it again. Also thrown by `worker.start()` on a worker that
 * was stopped (create a new one).
 *
 * @example
 * ```ts
 * import { MemoryBroker, WorkerStoppedError, actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * actor('crunch', async ({ signal }) => {
 *   signal.addEventListener('abort', () => {
 *     if (signal.reason instanceof WorkerStoppedError) console.log('worker shutting down');
 *   });
 * }, { broker });
 * ```
 */
export class WorkerStoppedError extends Error {
  /** Always `'WorkerStoppedError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'WorkerStoppedError';
  /** @param message - what happened. @default that the task did not finish before its worker stopped */
  constructor(message = 'The worker stopped before the task finished; its message is returned to the queue') {
    super(message);
  }
}
