/**
 * The error a broker rejects with once it has been closed (`enqueue`, `receive`).
 *
 * @example
 * ```ts
 * import { BrokerClosedError, MemoryBroker, actor } from 'rx-abort';
 * const broker = new MemoryBroker();
 * const ping = actor('ping', () => 'pong', { broker });
 * await broker.close();
 * await ping.send().catch((error) => console.log(error instanceof BrokerClosedError));
 * ```
 */
export class BrokerClosedError extends Error {
  /** Always `'BrokerClosedError'`, so that logs and `error.name` checks tell it apart from other errors. */
  override readonly name = 'BrokerClosedError';
  /** @param broker - the broker's kind, for the message (`'memory'`, `'redis'`). */
  constructor(broker: string) {
    super(`The ${broker} broker is closed`);
  }
}
