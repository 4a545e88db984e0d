import calculateSlot from 'cluster-key-slot';
import type { AbortEvent } from '../../core/AbortEvent.js';

/**
 * Splits events into groups whose keys share a hash slot, so each group can be one MULTI on a cluster
 * (a MULTI across slots fails with CROSSSLOT).
 * @param keyOf - the key of an id as Redis sees it (the client's `keyPrefix` included).
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
