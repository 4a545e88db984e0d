import type { AbortEvent } from '../../core/AbortEvent.js';
import type { Message } from '../Message.js';

/**
 * The messages between a worker and its isolates (structured clone over a `worker_threads` port or a
 * child's IPC channel with `serialization: 'advanced'`). Internal: not exported from the package.
 */

/** An error as it crosses the boundary: its name, message and stack (and `code` when it has one). */
export interface SerializedError {
  /** The original error's `name` (`'TypeError'`, ...). */
  readonly name: string;
  /** The original error's `message`. */
  readonly message: string;
  /** The original error's `stack`, as it was inside the isolate. */
  readonly stack: string | undefined;
  /** The original error's `code` (`'ERR_...'`, `'ENOENT'`), when it had a string one. */
  readonly code: string | undefined;
}

/** Why a task's `signal` aborted, rebuilt inside the isolate as the same error class. */
export type SerializedReason =
  | { readonly kind: 'abort'; readonly event: AbortEvent }
  | { readonly kind: 'stopped'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

/** Parent -> isolate. */
export type ToIsolate =
  | { readonly type: 'run'; readonly taskId: number; readonly moduleUrl: string; readonly message: Message }
  | {
      readonly type: 'abortRequested';
      readonly taskId: number;
      readonly event: AbortEvent;
      readonly deadline: number;
      readonly timeLeft: number;
      /** Milliseconds left when this was sent (the isolate's `abortRequested()` counts down from it). */
      readonly remaining: number;
    }
  | { readonly type: 'abort'; readonly taskId: number; readonly reason: SerializedReason };

/** Why a task failed inside its isolate. */
export type IsolateFailure = 'threw' | 'uncloneable-result' | 'load-failed';

/** Isolate -> parent. */
export type FromIsolate =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly taskId: number; readonly value: unknown }
  | {
      readonly type: 'failure';
      readonly taskId: number;
      readonly reason: IsolateFailure;
      readonly error: SerializedError;
    }
  /** The task ended after its abort (its outcome is no longer wanted); the isolate is free again. */
  | { readonly type: 'ended'; readonly taskId: number }
  /** An uncaught error is about to kill the isolate (a child process; a thread reports it itself). */
  | { readonly type: 'crash'; readonly error: SerializedError };

/** Copies what crosses the boundary of an error, or describes a thrown non-error. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { name: 'Error', message: `A non-error was thrown: ${message}`, stack: undefined, code: undefined };
}
