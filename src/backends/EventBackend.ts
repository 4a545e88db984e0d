import type { Observable } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';
import type { AbortOutcome } from '../core/AbortOutcome.js';

/**
 * Where abort marks live and how their arrival is observed. Implement it to add a backend: the library
 * ships {@link MemoryBackend} (one process) and {@link RedisBackend} (many processes).
 *
 * A mark is an {@link AbortEvent} stored under its id for `abortTtl` milliseconds. Every method is given
 * ids that are already validated.
 *
 * Confirmed aborts (`abortable.outcome$`, `abortable.outcome`, `abortable.abortAndWait`, and the worker's
 * reports) need three more methods, optional so that a marks-only backend stays valid:
 * {@link EventBackend.reportOutcome}, {@link EventBackend.readOutcome} and {@link EventBackend.watchOutcome}.
 * They keep one {@link AbortOutcome} per id with the same guarantees as marks (expiring after its `ttl`,
 * a watch delivers one stored before it, re-read after a reconnect). A backend implements all three or
 * none: without them, the outcome methods of `Abortable` throw a `TypeError` that says so, and workers
 * simply do not report.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, type EventBackend } from 'rx-abort';
 * const backend: EventBackend = new MemoryBackend();
 * const abortable = new Abortable({ backend });
 * ```
 */
export interface EventBackend {
  /**
   * Stores one mark per event, each expiring `abortTtl` milliseconds from now, replacing any mark of the
   * same id. Resolves once every mark is stored, so a `read` or `watch` started afterwards sees it.
   */
  mark(events: readonly AbortEvent[], abortTtl: number): Promise<void>;

  /** Resolves to the live (unexpired) mark of `id`, or `null` when there is none. */
  read(id: string): Promise<AbortEvent | null>;

  /**
   * Observes the marks of `id`. Once the watch is established it emits the live mark, if any (so a mark
   * written before the subscription is not missed), then every mark written afterwards. A write may be
   * delivered more than once (after a reconnect the live mark is read again); consumers take the first.
   * Never emits an expired mark and never completes by itself; errors only when the backend can no longer
   * deliver marks (closed, or misconfigured). Unsubscribing releases everything the watch holds.
   */
  watch(id: string): Observable<AbortEvent>;

  /**
   * Optional (confirmed aborts): stores the outcome of `outcome.id` for `ttl` milliseconds, replacing any
   * earlier outcome of that id, and delivers it to its watchers. Resolves once it is stored. Its storage
   * must never collide with the mark of any valid id.
   */
  reportOutcome?(outcome: AbortOutcome, ttl: number): Promise<void>;

  /** Optional (confirmed aborts): resolves to the live outcome of `id`, or `null` when there is none. */
  readOutcome?(id: string): Promise<AbortOutcome | null>;

  /**
   * Optional (confirmed aborts): observes the outcomes of `id`, with the contract of
   * {@link EventBackend.watch}: the live outcome once the watch is established, then every one reported
   * afterwards, possibly more than once; never completes by itself; unsubscribing releases the watch.
   */
  watchOutcome?(id: string): Observable<AbortOutcome>;

  /** Releases the backend's resources; later calls reject or error with {@link BackendClosedError}. */
  close(): Promise<void>;
}
