import type { CallMessage, ChildApi, ChildMessage } from './protocol.js';

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

/**
 * Serves `api` to the parent process over IPC (the child side of {@link startChild}): each call message
 * runs the method and replies with its result or its error message. The process exits when the parent
 * disconnects (the parent died, or stopped it), so a child never outlives the benchmark.
 *
 * @example
 * ```ts
 * serve({ ping: async () => 'pong' });
 * ```
 * @param api - the methods to expose.
 * @throws Error when the process was not started with an IPC channel.
 */
export function serve(api: ChildApi): void {
  if (process.send === undefined) throw new Error('run this file through the benchmark (npm run bench)');
  process.on('message', (message: CallMessage) => {
    if (message?.kind !== 'call') return;
    const method = api[message.method];
    Promise.resolve()
      .then(() => {
        if (method === undefined) throw new Error(`unknown method ${message.method}`);
        return (method as (arg: unknown) => unknown)(message.arg);
      })
      .then(
        (value) => send({ kind: 'reply', seq: message.seq, ok: true, value }),
        (error: unknown) =>
          send({
            kind: 'reply',
            seq: message.seq,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Sends an unprompted event to the parent (e.g. a teardown time).
 * @param name - the event name.
 * @param data - its payload.
 */
export function emitEvent(name: string, data: unknown): void {
  send({ kind: 'event', name, data });
}
