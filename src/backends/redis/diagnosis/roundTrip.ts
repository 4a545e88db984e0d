import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { firstValueFrom, timeout as within } from 'rxjs';
import { Abortable } from '../../../core/Abortable.js';
import { keyspaceChannel, markKey } from '../keys.js';
import { RedisBackend } from '../RedisBackend.js';
import type { DiagnosedNode } from './DiagnosedNode.js';
import type { DiagnosisCheck } from './DiagnosisCheck.js';

/** What the round trip needs to know. */
export interface RoundTripContext {
  /** The client the library would use: a `Redis`, or a `Cluster` for a cluster. */
  readonly client: Redis | Cluster;
  /** The master(s) to measure on: one probe id whose key lives on each. */
  readonly masters: readonly DiagnosedNode[];
  readonly prefix: string;
  /** The client's own ioredis `keyPrefix`. */
  readonly keyPrefix: string;
  readonly db: number;
  /** Milliseconds to wait for the event, and for each command. */
  readonly timeout: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A probe id whose mark key is on `master` (cluster: by hash tag), or `undefined` when none can be. */
function probeIdFor(context: RoundTripContext, master: DiagnosedNode): string | undefined {
  const base = `rx-abort-doctor-${randomUUID()}`;
  const client = context.client as Cluster;
  if (client.isCluster !== true) return base;
  for (let n = 0; n < 50_000; n++) {
    const id = `{doctor-${n}}${base}`;
    const slot = calculateSlot(context.keyPrefix + markKey(context.prefix, id));
    if (client.slots[slot]?.[0] === master.label) return id;
  }
  return undefined;
}

/** Waits until `channel` has a subscriber on `node` (`PUBSUB NUMSUB`), or a short while where that is refused. */
async function subscribed(node: DiagnosedNode, channel: string, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    let count: number;
    try {
      const reply = (await node.run('PUBSUB', 'NUMSUB', channel)) as unknown[];
      count = Number(reply[1] ?? 0);
    } catch {
      await sleep(50); // PUBSUB not allowed for this user: give the SUBSCRIBE a moment
      return;
    }
    if (count > 0) return;
    await sleep(2);
  }
}

/**
 * A live round trip through the library's own {@link RedisBackend} on each master: watch a unique probe id
 * (`abort$`), abort it, and time the path `SET` -> keyspace event -> `GET` -> delivered. It writes one probe
 * mark per master, under the prefix, expiring after 5 s, and changes no setting (`configureNotifications:
 * false`).
 */
export async function checkRoundTrips(context: RoundTripContext): Promise<DiagnosisCheck[]> {
  const { masters, timeout } = context;
  const backend = new RedisBackend({
    client: context.client,
    prefix: context.prefix,
    configureNotifications: false,
    notificationCheckInterval: 0,
    commandTimeout: timeout,
    probeTimeout: Math.min(timeout, 1000),
  });
  const errors = backend.errors$.subscribe(() => {}); // reported through the checks below
  const abortable = new Abortable({ backend, abortTtl: 5000 });
  const fail = (node: DiagnosedNode, error: unknown): DiagnosisCheck => ({
    name: 'round-trip',
    node: node.label,
    status: 'fail',
    message:
      error instanceof Error && error.name === 'TimeoutError'
        ? `no abort delivered within ${timeout} ms`
        : error instanceof Error && error.name === 'NotificationsDisabledError'
          ? 'no abort delivered: keyspace notifications are off (see notify-keyspace-events)'
          : `no abort delivered: ${error instanceof Error ? error.message : String(error)}`,
    fix: 'fix the failures above (notifications, permissions), then run rx-abort doctor again',
  });
  try {
    try {
      await backend.ready();
    } catch (error) {
      return masters.map((node) => fail(node, error));
    }
    const checks: DiagnosisCheck[] = [];
    for (const node of masters) {
      const id = probeIdFor(context, node);
      if (id === undefined) {
        checks.push({
          name: 'round-trip',
          node: node.label,
          status: 'pass',
          message: 'skipped: no key under this prefix lives on this master (the prefix has a hash tag)',
        });
        continue;
      }
      try {
        const deadline = performance.now() + timeout;
        const delivered = firstValueFrom(abortable.abort$(id).pipe(within(timeout)));
        delivered.catch(() => {}); // awaited below
        await subscribed(
          node,
          keyspaceChannel(context.db, context.keyPrefix + markKey(context.prefix, id)),
          deadline,
        );
        const start = performance.now();
        await abortable.abort(id, { reason: 'rx-abort doctor round trip' });
        await delivered;
        const ms = Math.round((performance.now() - start) * 100) / 100;
        checks.push({
          name: 'round-trip',
          node: node.label,
          status: 'pass',
          message: `SET -> keyspace event -> GET -> delivered in ${ms} ms`,
          ms,
        });
      } catch (error) {
        checks.push(fail(node, error));
      }
    }
    return checks;
  } finally {
    await abortable.close();
    errors.unsubscribe();
  }
}
