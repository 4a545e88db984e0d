/**
 * What a handler may return besides a plain value: the guards the worker (in process) and an isolate use to
 * decide how to wait for a handler's result.
 */

/** A promise, or any thenable. */
export const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  (typeof value === 'object' || typeof value === 'function') &&
  typeof (value as { then?: unknown }).then === 'function';

/** An async iterable (an async generator, a stream). */
export const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
