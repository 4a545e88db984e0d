/**
 * `abort()` with `replicas: n` wrote its marks on the master, but `WAIT n replicaTimeout` confirmed fewer
 * than `n` replicas holding them within `replicaTimeout`. The marks exist on the master and may still reach
 * the replicas: this means "not confirmed", not "not written", so a failover right now could lose them.
 * Retrying is safe (an abort is idempotent).
 *
 * Fix: check the replicas (`INFO replication` on the master: `connected_slaves`, their lag), raise
 * `replicaTimeout`, or lower `replicas` to the number you run.
 *
 * @example
 * ```ts
 * import { ReplicationTimeoutError } from 'rx-abort';
 * const error = new ReplicationTimeoutError(1, 0, 1000);
 * console.log(error.message, error.acknowledged);
 * ```
 */
export class ReplicationTimeoutError extends Error {
  /** Always `'ReplicationTimeoutError'`, so that logs and `error.name` checks tell it apart. */
  override readonly name = 'ReplicationTimeoutError';
  /** Replicas required (`replicas`). */
  readonly replicas: number;
  /** Replicas that confirmed (the fewest of any slot group on Cluster). */
  readonly acknowledged: number;
  /**
   * @param replicas - how many were required.
   * @param acknowledged - how many confirmed.
   * @param timeout - `replicaTimeout`, in milliseconds.
   */
  constructor(replicas: number, acknowledged: number, timeout: number) {
    super(
      `Only ${acknowledged} of ${replicas} replicas confirmed the abort within replicaTimeout (${timeout} ms): ` +
        'it is written on the master and may still reach the replicas, but a failover now could lose it. ' +
        'Retrying is safe; check INFO replication on the master, raise replicaTimeout or lower replicas.',
    );
    this.replicas = replicas;
    this.acknowledged = acknowledged;
  }
}
