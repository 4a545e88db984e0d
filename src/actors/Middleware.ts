import type { Observable } from 'rxjs';
import type { TaskContext } from './TaskContext.js';

/**
 * A user middleware: add it to a broker with `broker.addMiddleware(middleware)` and every worker on that
 * broker wraps each task's pipeline with it, in the order the middleware was added (the first added is
 * the outermost). Use it for logging, metrics, timeouts or tracing. Aborts are handled by the
 * {@link Abortable} middleware, which the worker finds with `broker.getMiddleware(Abortable)`.
 *
 * The wrapped pipeline is subscribed when the task starts and unsubscribed when it is stopped, so
 * `finalize` and teardown logic run in both cases. An error it raises fails the task like a handler error.
 *
 * @example
 * ```ts
 * import { finalize, timeout } from 'rxjs';
 * import { MemoryBroker, type Middleware } from 'rx-abort';
 * const timing: Middleware = {
 *   wrapTask: (task$, { messageId }) => {
 *     const started = Date.now();
 *     return task$.pipe(
 *       timeout(60_000),
 *       finalize(() => console.log(messageId, Date.now() - started, 'ms')),
 *     );
 *   },
 * };
 * new MemoryBroker().addMiddleware(timing);
 * ```
 */
export interface Middleware {
  /**
   * Wraps the pipeline of one task.
   * @param task$ - the handler's pipeline (already wrapped by the middleware added after this one).
   * @param context - the task's context.
   * @returns the pipeline to run instead.
   */
  wrapTask?(task$: Observable<unknown>, context: TaskContext): Observable<unknown>;
}
