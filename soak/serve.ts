import type { CallMessage, ChildApi, ChildMessage } from './protocol.js';

/**
 * Serves `api` to the parent process over IPC: each `call` message runs one method and is answered with a
 * `reply`. When the parent goes away (the IPC channel closes), the process exits: a child never outlives
 * the soak that started it.
 *
 * @example
 * ```ts
 * serve<ClientApi>({ init: async () => {}, abort: async (arg) => run(arg), close: async () => {} });
 * ```
 * @param api - the methods.
 * @returns a function that sends a message to the parent unprompted.
 * @throws Error when the process has no IPC channel (it was not forked).
 */
export function serve<Api extends ChildApi>(api: Api): (message: ChildMessage) => void {
  const send = process.send?.bind(process);
  if (send === undefined)
    throw new Error('This file runs as a child of soak/run.ts (fork with an IPC channel)');
  // With a callback, a send racing the parent's disconnect fails quietly instead of crashing the process.
  const post = (message: ChildMessage): void => {
    if (process.connected) send(message, undefined, undefined, () => {});
  };
  process.on('message', (raw) => {
    const call = raw as CallMessage;
    if (call?.kind !== 'call') return;
    const method = api[call.method];
    Promise.resolve()
      .then(() => {
        if (method === undefined) throw new Error(`no method ${call.method}`);
        return method(call.arg as never);
      })
      .then(
        (value) => post({ kind: 'reply', seq: call.seq, ok: true, value }),
        (error: unknown) =>
          post({
            kind: 'reply',
            seq: call.seq,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  process.once('disconnect', () => process.exit(0));
  // A Ctrl-C reaches the whole process group: let the parent clean up and disconnect us.
  process.on('SIGINT', () => {});
  return post;
}

/** `process.memoryUsage().heapUsed` after full garbage collections (the process must run with --expose-gc). */
export async function collectedHeap(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Listener counts of an emitter, per event name. */
export function listenerCounts(emitter: NodeJS.EventEmitter | undefined): Record<string, number> {
  if (emitter === undefined) return {};
  return Object.fromEntries(emitter.eventNames().map((name) => [String(name), emitter.listenerCount(name)]));
}
