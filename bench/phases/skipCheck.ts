import type { SkipCheckResult } from '../client/client.js';
import type { SystemName } from '../protocol.js';
import { startRig } from './rig.js';

/** The pre-start check's cost for one system. */
export interface SkipCheckRun extends SkipCheckResult {
  system: SystemName;
  /** What one check is. */
  check: string;
}

/**
 * Times the pre-start check a worker makes before it runs a message (this library: `abortable.aborted(id)`,
 * one GET; baseline: `poll`, one LPOP) from a client process: one at a time, and `concurrency` in flight.
 * A tenth of the ids carry an abort mark, the rest none (the common case).
 *
 * @param system - the system under test.
 * @param checks - how many checks per mode.
 * @param concurrency - checks in flight in the concurrent mode.
 * @returns per-call percentiles and rates.
 */
export async function runSkipCheck(
  system: SystemName,
  checks: number,
  concurrency: number,
): Promise<SkipCheckRun> {
  const rig = await startRig({ system, workers: 0 });
  try {
    const client = rig.client;
    if (client === undefined) throw new Error('rig without client');
    const ids = Array.from({ length: checks }, (_, i) => `message-${i}`);
    const marked = ids.filter((_, i) => i % 10 === 0);
    await client.call('abortAll', { ids: marked, batchSize: 500, concurrency: 1 });
    const result = await client.call('skipCheck', { ids, concurrency });
    return {
      system,
      check: system === 'ours' ? 'abortable.aborted(id): GET' : 'backend.poll(key): LPOP',
      ...result,
    };
  } finally {
    await rig.stop();
  }
}
