import type { Observable } from 'rxjs';
import type { AbortEvent } from '../core/AbortEvent.js';

/**
 * Where abort marks live and how their arrival is observed. Implement it to add a backend: the library
 * ships {@link MemoryBackend} (one process) and {@link RedisBackend} (many processes).
 *
 * A mark is an {@link AbortEvent} stored under its id for `abortTtl` milliseconds. Every method is given
 * ids that are already validated.
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

  /** Releases the backend's resources; later calls reject or error with {@link BackendClosedError}. */
  close(): Promise<void>;
}
