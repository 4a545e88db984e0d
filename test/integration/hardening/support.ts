// Shared helpers of the hardening and property tests: bounded waits, Redis pub/sub introspection, the
// subscriber connection a RedisBackend duplicates for itself, listener snapshots and a seeded PRNG.
import type { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds; throws `label` after `timeout` ms. Polls a test condition only. */
export async function until(
  check: () => boolean | Promise<boolean>,
  label = 'condition',
  timeout = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeout) throw new Error(`${label}: not met within ${timeout} ms`);
    await sleep(5);
  }
}

/** `promise`, or a rejection naming `label` when it does not settle within `ms` (a hang, not a speed claim). */
export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${label} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** The keyspace channel of `key` in `db`, as the backend subscribes it. */
export const channelOf = (db: number, key: string): string => `__keyspace@${db}__:${key}`;

/** Subscriber counts of `channels`, in one `PUBSUB NUMSUB` per 1000 channels. */
export async function numsub(admin: Redis, channels: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < channels.length; i += 1000) {
    const reply = (await admin.pubsub('NUMSUB', ...channels.slice(i, i + 1000))) as Array<string | number>;
    for (let j = 0; j < reply.length; j += 2) counts.set(String(reply[j]), Number(reply[j + 1]));
  }
  return counts;
}

/**
 * Channels subscribed right now under `prefix` in `db` (exact names). The prefix holds no glob character
 * (the backend refuses one), so it is safe inside the pattern of this admin query.
 */
export async function channelsUnder(admin: Redis, db: number, prefix: string): Promise<string[]> {
  return (await admin.pubsub('CHANNELS', `${channelOf(db, prefix)}*`)) as string[];
}

/** Keys under `prefix` right now (the prefix holds no glob character). */
export const keysUnder = (admin: Redis, prefix: string): Promise<string[]> => admin.keys(`${prefix}*`);

/** The probe keys of the notification check carry a newline, which no valid id can. */
export const isProbeKey = (key: string): boolean => key.includes('\nprobe:');

/**
 * Wraps `client.duplicate` so the test can see the subscriber connection the backend opens for itself
 * (to count its listeners). Returns a getter for the latest duplicate.
 */
export function captureDuplicates(client: Redis): () => Redis | undefined {
  let last: Redis | undefined;
  const original = client.duplicate.bind(client);
  client.duplicate = ((override?: Partial<RedisOptions>) => {
    last = original(override);
    return last;
  }) as Redis['duplicate'];
  return () => last;
}

/** Listener counts of `emitter` for `events`. */
export function listenerCounts(emitter: EventEmitter, events: readonly string[]): Record<string, number> {
  return Object.fromEntries(events.map((event) => [event, emitter.listenerCount(event)]));
}

/** The client and subscriber events the backend listens to. */
export const CLIENT_EVENTS = ['ready', 'error', 'close', 'end', 'connect', 'reconnecting'] as const;
export const SUBSCRIBER_EVENTS = ['message', 'ready', 'error', 'close', 'end', 'connect'] as const;

/** A small seeded PRNG (mulberry32), so randomised schedules replay exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Collects `warning` events of the process (MaxListenersExceededWarning and the like) while installed. */
export function collectWarnings(): { readonly warnings: Error[]; stop(): void } {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  return { warnings, stop: () => process.off('warning', onWarning) };
}

/** Every UTF-16 unit outside printable ASCII as \\uXXXX, so lone surrogates and U+FFFD read apart in diffs. */
export const escapeUnits = (text: string): string =>
  Array.from({ length: text.length }, (_, i) => {
    const unit = text.charCodeAt(i);
    return unit >= 0x20 && unit < 0x7f ? text[i] : `\\u${unit.toString(16).padStart(4, '0')}`;
  }).join('');
