import type { Abortable } from '../core/Abortable.js';
import type { AbortEvent } from '../core/AbortEvent.js';
import type { Actor } from './actor.js';
import type { Message } from './Message.js';

/**
 * Whether a worker treats a message as abortable (skips it when aborted before it starts, stops it when
 * aborted while it runs): the message's `abortable` option wins, then the actor's, then the `Abortable`
 * middleware's default. Without an `Abortable` middleware on the broker nothing is abortable.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, MemoryBroker, actor, isAbortable } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const abortable = new Abortable({ backend: new MemoryBackend(), abortable: false });
 * const report = actor('report', () => 'done', { broker, abortable: true });
 * const message = await report.sendWithOptions({ abortable: false });
 * console.log(isAbortable(message, report, abortable)); // false: the message's option wins
 * ```
 * @param message - the message (its `options.abortable`).
 * @param actor - its actor (its `abortable` option).
 * @param abortable - the broker's `Abortable` middleware, if any (its `abortable` default).
 */
export function isAbortable(
  message: Pick<Message, 'options'>,
  actor: Pick<Actor, 'abortable'>,
  abortable: Pick<Abortable, 'abortable'> | undefined,
): boolean {
  if (abortable === undefined) return false;
  return message.options.abortable ?? actor.abortable ?? abortable.abortable;
}

/**
 * The pre-start rule: whether a live abort mark makes a worker skip a message. Any mark skips it, except a
 * `cancel` that predates a retry: a cancel whose `at` is at or before the retry's `enqueuedAt` was issued
 * while an earlier attempt was running (a cancel does not touch a running task), so it does not skip the
 * retry either. A cancel issued after the retry was enqueued does. Both clocks are wall clocks of
 * different processes: keep them in sync (NTP).
 */
export function skipsMessage(mark: AbortEvent, message: Pick<Message, 'retries' | 'enqueuedAt'>): boolean {
  return !(mark.mode === 'cancel' && message.retries > 0 && mark.at <= message.enqueuedAt);
}
