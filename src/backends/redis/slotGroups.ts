import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { AbortEvent } from '../../core/AbortEvent.js';
import type { RedisClient } from './types.js';

/** Whether the client is an ioredis `Cluster` rather than a single-node `Redis`. */
export const isCluster = (client: RedisClient | Cluster): client is Cluster =>
  (client as { isCluster?: unknown }).isCluster === true;

/**
 * Splits events into groups whose keys share a hash slot, so each group can be one MULTI on a cluster
 * (a MULTI across slots fails with CROSSSLOT).
 */
export function groupBySlot(events: readonly AbortEvent[], keyOf: (id: string) => string): AbortEvent[][] {
  const groups = new Map<number, AbortEvent[]>();
  for (const event of events) {
    const slot = calculateSlot(keyOf(event.id));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [event]);
    else group.push(event);
  }
  return [...groups.values()];
}

/** A hash tag (`{n}`) whose slot the given master owns, so a probe key written to it directly is not MOVED. */
export function nodeProbeTag(cluster: Cluster, master: Redis): string {
  const key = `${master.options.host}:${master.options.port}`;
  for (let n = 0; n < 100_000; n++) {
    const tag = `{${n}}`;
    if (cluster.slots[calculateSlot(tag)]?.[0] === key) return tag;
  }
  return '';
}
