import type { Redis } from 'ioredis';
import { now } from '../clock.js';

/** Counts kept by {@link countReads}. */
export interface ReadCounter {
  /** Keys read: one per GET reply, one per key of an MGET reply. */
  reads: number;
  /** Read commands (or transactions of reads) sent and not answered yet. */
  inFlight: number;
  /** When a read was last sent or answered (shared clock, ms; 0 before the first). */
  lastActivityAt: number;
}

type SendCommand = Redis['sendCommand'];
type Command = Parameters<SendCommand>[0] & { inTransaction?: boolean };

const keysRead = (command: Command): number =>
  command.name === 'get' ? 1 : command.name === 'mget' ? command.args.length : 0;

/**
 * Instruments an ioredis client so that every answered `GET` (or `MGET`, per key), sent alone, in a
 * pipeline or in a MULTI, adds to `counter.reads`. The worker uses it to see from its own side when the
 * re-read that follows each confirmed subscription has come back, whatever way the library batches its
 * reads, without touching the library. It wraps the instance's `sendCommand`, through which ioredis sends
 * every command (a pipeline's too, in order); nothing else changes.
 *
 * A read inside a `MULTI` counts when the `EXEC` reply has come, not at its `QUEUED` reply: Redis sends
 * the `QUEUED` replies of a large transaction while it is still receiving it, before it has read anything.
 *
 * @example
 * ```ts
 * const counter = { reads: 0, inFlight: 0, lastActivityAt: 0 };
 * const client = new Redis(port);
 * countReads(client, counter);
 * const backend = new RedisBackend({ client });
 * ```
 * @param client - the client to instrument (in place).
 * @param counter - the object whose `reads` grows.
 */
export function countReads(client: Redis, counter: ReadCounter): void {
  const send: SendCommand = client.sendCommand.bind(client);
  /** Keys read by the GETs queued in the transaction being sent, counted at its EXEC. */
  let inTransaction = 0;
  const countOnReply = (command: Command, keys: number): void => {
    counter.inFlight++;
    counter.lastActivityAt = now();
    command.promise.then(
      () => {
        counter.reads += keys;
        counter.inFlight--;
        counter.lastActivityAt = now();
      },
      () => {
        counter.inFlight--;
        counter.lastActivityAt = now();
      },
    );
  };
  const count = (command: Command): void => {
    if (command.name === 'multi') inTransaction = 0;
    else if (command.name === 'exec') {
      if (inTransaction > 0) countOnReply(command, inTransaction);
      inTransaction = 0;
    } else if (command.inTransaction === true) inTransaction += keysRead(command);
    else if (keysRead(command) > 0) countOnReply(command, keysRead(command));
  };
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    count(command);
    return (send as (command: Command, ...rest: unknown[]) => unknown)(command, ...rest);
  }) as SendCommand;
}
