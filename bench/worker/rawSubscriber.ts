import { Redis } from 'ioredis';
import { now } from '../clock.js';

/** What the raw subscriber reports per notification: arrival time, and when the GET that follows returned. */
export interface RawArrival {
  key: string;
  /** When the keyspace message arrived (shared clock, ms). */
  notifiedAt: number;
  /** When a GET of the key returned, right after the message (shared clock, ms). */
  readAt: number;
}

/**
 * The floor of the notification path, without the library: plain ioredis `SUBSCRIBE` to the keyspace
 * channels of `keys`, and on each message one `GET` of the key, timing both. What the library adds on top
 * of this is its own cost; what this costs is the machine's.
 *
 * @param port - the Redis port.
 * @param keys - the keys to watch.
 * @param onArrival - called per message, after the GET.
 * @returns a function that closes both connections.
 */
export async function startRawSubscriber(
  port: number,
  keys: readonly string[],
  onArrival: (arrival: RawArrival) => void,
): Promise<() => void> {
  const subscriber = new Redis({ host: '127.0.0.1', port });
  const reader = new Redis({ host: '127.0.0.1', port });
  await reader.ping();
  const prefix = '__keyspace@0__:';
  subscriber.on('message', (channel: string) => {
    const notifiedAt = now();
    const key = channel.slice(prefix.length);
    void reader.get(key).then(() => onArrival({ key, notifiedAt, readAt: now() }));
  });
  await subscriber.subscribe(...keys.map((key) => prefix + key));
  return () => {
    subscriber.disconnect();
    reader.disconnect();
  };
}
