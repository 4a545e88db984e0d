import type { Redis } from 'ioredis';

/** Counts kept by {@link countReads}. */
export interface ReadCounter {
  /** Keys read: one per GET reply, one per key of an MGET reply. */
  reads: number;
}

type SendCommand = Redis['sendCommand'];
type Command = Parameters<SendCommand>[0];

/**
 * Instruments an ioredis client so that every answered `GET` (or `MGET`, per key), sent alone, in a
 * pipeline or in a MULTI, adds to `counter.reads`. The worker uses it to see from its own side when the
 * re-read that follows each confirmed subscription has come back, whatever way the library batches its
 * reads, without touching the library. It wraps the instance's `sendCommand`, through which ioredis sends
 * every command; nothing else changes.
 *
 * @example
 * ```ts
 * const counter = { reads: 0 };
 * const client = new Redis(port);
 * countReads(client, counter);
 * const backend = new RedisBackend({ client });
 * ```
 * @param client - the client to instrument (in place).
 * @param counter - the object whose `reads` grows.
 */
export function countReads(client: Redis, counter: ReadCounter): void {
  const send: SendCommand = client.sendCommand.bind(client);
  const count = (command: Command): void => {
    const keys = command.name === 'get' ? 1 : command.name === 'mget' ? command.args.length : 0;
    if (keys > 0) {
      command.promise.then(
        () => {
          counter.reads += keys;
        },
        () => {},
      );
    }
  };
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    count(command);
    return (send as (command: Command, ...rest: unknown[]) => unknown)(command, ...rest);
  }) as SendCommand;
}
