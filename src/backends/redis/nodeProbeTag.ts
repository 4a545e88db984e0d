import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/** A hash tag (`{n}`) whose slot the given master owns, so a probe key written to it directly is not MOVED. */
export function nodeProbeTag(cluster: Cluster, master: Redis): string {
  const key = `${master.options.host}:${master.options.port}`;
  for (let n = 0; n < 100_000; n++) {
    const tag = `{${n}}`;
    if (cluster.slots[calculateSlot(tag)]?.[0] === key) return tag;
  }
  return '';
}
