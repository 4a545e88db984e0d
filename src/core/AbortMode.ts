/**
 * How an abort treats a task.
 *
 * - `'abort'`: skip the task if it has not started, stop it if it is running.
 * - `'cancel'`: skip the task if it has not started; a running task is left alone.
 *
 * @example
 * ```ts
 * import type { AbortMode } from 'rx-abort';
 * const mode: AbortMode = 'cancel';
 * ```
 */
export type AbortMode = 'abort' | 'cancel';

/** The modes {@link AbortMode} accepts, for validation and documentation. */
export const ABORT_MODES: readonly AbortMode[] = ['abort', 'cancel'];
