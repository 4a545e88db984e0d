import type { Isolation } from './IsolatedActorOptions.js';

/**
 * The `node:diagnostics_channel` name on which isolates are reported: subscribe to see them start, exit
 * and be terminated (costs nothing while nobody subscribes).
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { ISOLATE_CHANNEL, type IsolateEvent } from 'rx-abort';
 * subscribe(ISOLATE_CHANNEL, (message) => {
 *   const event = message as IsolateEvent;
 *   console.log(event.type, event.actorName, event.isolateId);
 * });
 * ```
 */
export const ISOLATE_CHANNEL = 'rx-abort:isolate';

/**
 * What {@link ISOLATE_CHANNEL} publishes.
 *
 * @example
 * ```ts
 * import type { IsolateEvent } from 'rx-abort';
 * const describe = (event: IsolateEvent) => `${event.isolation} ${event.isolateId} ${event.type}`;
 * ```
 */
export interface IsolateEvent {
  /**
   * `'started'`: a thread or process was started; `'terminated'`: it exited after the pool terminated it
   * (a task that did not settle within its grace or deadline, a stop, or the pool's close); `'exited'`:
   * it exited by itself (a crash).
   */
  readonly type: 'started' | 'terminated' | 'exited';
  /** The actor it runs. */
  readonly actorName: string;
  /** `'thread'` or `'process'`. */
  readonly isolation: Isolation;
  /** Its thread id or process id. */
  readonly isolateId: number;
  /** When, in milliseconds since the epoch with sub-millisecond precision (`performance.timeOrigin + performance.now()`). */
  readonly at: number;
  /** For `'terminated'`: the message whose task it was running, if any. */
  readonly messageId?: string;
}
