import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { SystemName } from '../protocol.js';

/** How a task is cut when its id is aborted: complete quietly, or error with the abort. */
export type CutStyle = 'complete' | 'error';

/**
 * What a worker process needs from the system under test (this library or the polling baseline), so the
 * same tasks and measurements run against both.
 */
export interface WorkerSystem {
  /** Which system this is. */
  readonly name: SystemName;
  /** Ids watched right now. */
  readonly watchedIds: number;
  /**
   * Non-fatal errors the system reported so far (this library's `errors$`: a read that timed out and is
   * retried, a lost connection); 0 for the baseline. Non-zero means the machine was too busy to measure.
   */
  readonly errorsSeen: number;
  /** The operator that cuts a running task when `id` is aborted. */
  cut<T>(id: string, style: CutStyle): MonoTypeOperatorFunction<T>;
  /** The bare watch of `id`, without a task around it (for the heap breakdown). */
  watch(id: string): Observable<unknown>;
  /**
   * Resolves once every id watched so far is watched for sure: for this library, its SUBSCRIBE is
   * confirmed and the re-read that follows has been answered (after errors, such as a re-read that timed
   * out and is retried, also once no read has moved for a second); for the baseline, a BLPOP pass
   * covering all of them has been sent. Only meaningful while no abort is in flight.
   * @returns when that happened (shared clock, ms; the last read's answer for this library), or
   *   undefined when it did not within `timeoutMs` (or cannot tell, on a cluster).
   */
  settled(timeoutMs: number): Promise<number | undefined>;
  /** Closes connections. */
  close(): Promise<void>;
}
