import { withTimeout } from '../clock.js';
import type { TeardownEvent } from '../protocol.js';
import { round3 } from '../stats.js';
import type { Rig } from './rig.js';

/** One measured abort. */
export interface LatencySample {
  /** From `abort()` called in the client to the teardown in the worker, ms. */
  ms: number;
  /** Age of the task when `abort()` was called, ms. */
  ageMs: number;
}

/** How long an abort's teardown may take before it counts as a timeout (not in the percentiles). */
export const TEARDOWN_TIMEOUT_MS = 5000;

/**
 * Makes the timed abort of the latency runs: the worker picks a running target (younger than a second
 * with probability `youngShare`, else older; the other kind when none fits), the client calls `abort(id)`,
 * and the sample is from that call to the worker's teardown of the task, on the shared clock. Needs a rig
 * started with `reportEach: true`.
 *
 * @example
 * ```ts
 * const abortOnce = abortTimer(rig, 0.25);
 * const sample = await abortOnce(); // undefined when the teardown did not come within 5 s
 * ```
 * @param rig - the rig (its first worker, and its client).
 * @param youngShare - share of targets younger than a second.
 * @returns a function that makes one abort and resolves its sample, or undefined after a timeout.
 */
export function abortTimer(rig: Rig, youngShare: number): () => Promise<LatencySample | undefined> {
  const [worker] = rig.workers;
  const client = rig.client;
  if (worker === undefined || client === undefined) throw new Error('rig without worker or client');
  const teardowns = new Map<string, (at: number) => void>();
  worker.onEvent((name, data) => {
    if (name !== 'teardown') return;
    const event = data as TeardownEvent;
    teardowns.get(event.id)?.(event.at);
  });
  return async () => {
    const wantYoung = Math.random() < youngShare;
    const picked =
      (await worker.call('pick', { young: wantYoung })) ?? (await worker.call('pick', { young: !wantYoung }));
    if (picked === null) throw new Error('no task to abort');
    const teardown = new Promise<number>((resolve) => teardowns.set(picked.id, resolve));
    const { calledAt } = await client.call('abort', { id: picked.id });
    try {
      const at = await withTimeout(teardown, TEARDOWN_TIMEOUT_MS, `teardown of ${picked.id}`);
      return { ms: round3(at - calledAt), ageMs: round3(calledAt - picked.startedAt) };
    } catch {
      return undefined;
    } finally {
      teardowns.delete(picked.id);
    }
  };
}
