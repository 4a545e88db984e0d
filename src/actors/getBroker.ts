import { MemoryBackend } from '../backends/MemoryBackend.js';
import { Abortable } from '../core/Abortable.js';
import { setDefaultAbortable } from '../core/defaultAbortable.js';
import type { Broker } from './Broker.js';
import { MemoryBroker } from './MemoryBroker.js';

let current: Broker | undefined;

/**
 * The default broker: the one `actor()` declares actors on, and whose {@link Abortable} middleware the
 * top-level `abort`, `abort$`, `aborted` and `abortSignal` use. When none was set, the first call creates
 * the embedded default: a {@link MemoryBroker} with `new Abortable({ backend: new MemoryBackend() })`
 * added, so everything works in one process with no configuration.
 *
 * Until `getBroker()` or {@link setBroker} has run once, no default Abortable exists and a top-level
 * `abort()` throws `NoAbortableError` (declaring an actor is enough to create it).
 *
 * @example
 * ```ts
 * import { Abortable, getBroker } from 'rx-abort';
 * const broker = getBroker();
 * console.log(broker.getMiddleware(Abortable)?.abortTtl); // 90000
 * ```
 * @returns the default broker.
 */
export function getBroker(): Broker {
  if (current === undefined) {
    const broker = new MemoryBroker();
    broker.addMiddleware(new Abortable({ backend: new MemoryBackend() }));
    setBroker(broker);
    return broker;
  }
  return current;
}

/**
 * Makes `broker` the default broker: later `actor()` calls declare on it, and the top-level `abort`,
 * `abort$`, `aborted` and `abortSignal` use the {@link Abortable} middleware added to it (looked up at each
 * call, so it may be added after `setBroker`). This replaces any `setDefaultAbortable()` made before; call
 * that afterwards to override.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Abortable, RedisBackend, RedisBroker, setBroker } from 'rx-abort';
 * const url = 'redis://127.0.0.1:6379';
 * const broker = new RedisBroker({ url });
 * setBroker(broker);
 * broker.addMiddleware(new Abortable({ backend: new RedisBackend({ client: new Redis(url) }) }));
 * ```
 * @param broker - the new default broker.
 * @throws TypeError when `broker` is not a Broker.
 */
export function setBroker(broker: Broker): void {
  if (
    broker === null ||
    typeof broker !== 'object' ||
    typeof broker.enqueue !== 'function' ||
    typeof broker.getMiddleware !== 'function'
  ) {
    throw new TypeError('broker must be a Broker (for example new MemoryBroker())');
  }
  current = broker;
  setDefaultAbortable(() => current?.getMiddleware(Abortable));
}
