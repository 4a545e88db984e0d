import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { firstValueFrom, timeout as within } from 'rxjs';
import { Abortable } from '../../../core/Abortable.js';
import { keyspaceChannel, markKey } from '../keys.js';
import { isPublishedValue } from '../markValue.js';
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

/**
 * Waits until `channel` has `count` subscribers on `node` (`PUBSUB NUMSUB`), or a short while where that is
 * refused.
 */
async function subscribed(
  node: DiagnosedNode,
  channel: string,
  count: number,
  deadline: number,
): Promise<void> {
  while (performance.now() < deadline) {
    let subscribers: number;
    try {
      const reply = (await node.run('PUBSUB', 'NUMSUB', channel)) as unknown[];
      subscribers = Number(reply[1] ?? 0);
    } catch {
      await sleep(50); // PUBSUB not allowed for this user: give the SUBSCRIBE a moment
      return;
    }
    if (subscribers >= count) return;
    await sleep(2);
  }
}

/** The way an abort reached its watch: with its value in a `PUBLISH`, or as a `set` event and a `GET`. */
type AbortPath = 'one hop' | 'two hops';

/** A listener on the probe's keyspace channel, on a connection of its own, that tells which path was taken. */
interface PathObserver {
  /** Once the probe's `set` event arrived: whether its value came with it (bounded by a short wait). */
  path(): Promise<AbortPath | undefined>;
  close(): void;
}

/** Subscribes an observer to `channel` on `node`, or resolves `undefined` when it cannot. */
async function observePath(
  node: DiagnosedNode,
  channel: string,
  timeout: number,
): Promise<PathObserver | undefined> {
  const connection: Redis = node.client.duplicate({ lazyConnect: true, maxRetriesPerRequest: 0 });
  connection.on('error', () => {}); // without it the path is simply not named
  const messages: string[] = [];
  connection.on('message', (from: string, message: string) => {
    if (from === channel) messages.push(message);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.subscribe(channel),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no SUBSCRIBE reply')), timeout);
      }),
    ]);
  } catch {
    connection.disconnect();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  const waitFor = async (done: () => boolean, ms: number): Promise<boolean> => {
    const until = performance.now() + ms;
    while (!done() && performance.now() < until) await sleep(1);
    return done();
  };
  return {
    async path() {
      // The PUBLISH runs in the MULTI right after the SET: its message follows the `set` event at once.
      if (!(await waitFor(() => messages.includes('set'), 200))) return undefined;
      return (await waitFor(() => messages.some(isPublishedValue), 20)) ? 'one hop' : 'two hops';
    },
    close: () => connection.disconnect(),
  };
}

const PATHS: Record<AbortPath, string> = {
  'one hop': 'one hop: the mark came in the PUBLISH sent with its SET',
  'two hops': 'two hops: SET -> keyspace event -> GET; this user may not PUBLISH, see permissions',
};

/**
 * A live round trip through the library's own {@link RedisBackend} on each master: watch a unique probe id
 * (`abort$`), `abort()` it, and time from the call to the watch firing, the path every abort takes. A
 * listener of its own on the probe's keyspace channel tells which path that was: one hop (the mark's
 * value published with its `SET`, in one `MULTI`) or two (`SET`, keyspace event, `GET`: the user may not
 * `PUBLISH`). It writes one probe mark per master, under the prefix, expiring after 5 s, and changes no
 * setting (`configureNotifications: false`).
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
      const channel = keyspaceChannel(context.db, context.keyPrefix + markKey(context.prefix, id));
      const observer = await observePath(node, channel, timeout);
      try {
        const deadline = performance.now() + timeout;
        const delivered = firstValueFrom(abortable.abort$(id).pipe(within(timeout)));
        delivered.catch(() => {}); // awaited below
        await subscribed(node, channel, observer === undefined ? 1 : 2, deadline);
        const start = performance.now();
        await abortable.abort(id, { reason: 'rx-abort doctor round trip' });
        await delivered;
        const ms = Math.round((performance.now() - start) * 100) / 100;
        const path = await observer?.path();
        checks.push({
          name: 'round-trip',
          node: node.label,
          status: 'pass',
          message: `abort() -> watch fired in ${ms} ms${path === undefined ? '' : ` (${PATHS[path]})`}`,
          ms,
        });
      } catch (error) {
        checks.push(fail(node, error));
      } finally {
        observer?.close();
      }
    }
    return checks;
  } finally {
    await abortable.close();
    errors.unsubscribe();
  }
}
