import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup, trackPid } from './cleanup.js';
import { withTimeout } from './clock.js';
import type { CallMessage, ChildApi, ChildMessage } from './protocol.js';

/** A worker or client process, driven by calls. */
export interface ChildHandle<Api extends ChildApi> {
  /** A name for messages (`worker-1`). */
  readonly name: string;
  /** Its process id (for CPU readings from /proc). */
  readonly pid: number;
  /** Runs `method(arg)` in the child; rejects with the child's error, or after `timeoutMs`. */
  call<M extends keyof Api & string>(
    method: M,
    arg: Parameters<Api[M]>[0],
    timeoutMs?: number,
  ): Promise<Awaited<ReturnType<Api[M]>>>;
  /** Listens to the child's unprompted events. @returns a function that removes the listener. */
  onEvent(listener: (name: string, data: unknown) => void): () => void;
  /** Disconnects the child and waits for it to exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Options of {@link startChild}. */
export interface StartChildOptions {
  /** A name for messages. */
  name: string;
  /** Extra Node flags, e.g. `['--cpu-prof']`. @default [] */
  nodeFlags?: string[];
  /** How long a call may take by default, in ms. @default 60_000 */
  callTimeoutMs?: number;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Forks `bench/<file>` as `node --import tsx --expose-gc <file>` with an IPC channel, registers it for
 * cleanup, and returns a typed handle to call the API it {@link serve}s.
 *
 * @example
 * ```ts
 * const worker = await startChild<WorkerApi>('worker.ts', { name: 'worker-1' });
 * await worker.call('init', { system: 'ours', port: 7000, prefix: 'bench:', reportEach: true });
 * await worker.stop();
 * ```
 * @param file - the entry file, relative to `bench/`.
 * @param options - see {@link StartChildOptions}.
 * @returns the handle, once the process is running.
 */
export async function startChild<Api extends ChildApi>(
  file: string,
  options: StartChildOptions,
): Promise<ChildHandle<Api>> {
  const child: ChildProcess = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    }),
    10_000,
    `starting ${options.name}`,
  );
  const untrack = trackPid(child.pid ?? 0);
  const defaultTimeout = options.callTimeoutMs ?? 60_000;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const listeners = new Set<(name: string, data: unknown) => void>();
  let seq = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      untrack();
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${options.name} exited (code ${code}, signal ${signal})`));
      }
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: ChildMessage) => {
    if (message.kind === 'event') {
      for (const listener of listeners) listener(message.name, message.data);
      return;
    }
    const waiter = pending.get(message.seq);
    if (waiter === undefined) return;
    pending.delete(message.seq);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${options.name}: ${message.error}`));
  });

  const stop = async (): Promise<void> => {
    unregister();
    if (exited) return;
    if (child.connected) child.disconnect();
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(killer);
  };
  const unregister = onCleanup(stop);

  return {
    name: options.name,
    pid: child.pid ?? 0,
    call(method, arg, timeoutMs = defaultTimeout) {
      if (exited) return Promise.reject(new Error(`${options.name} has exited`));
      const message: CallMessage = { kind: 'call', seq: ++seq, method, arg };
      const reply = new Promise<unknown>((resolve, reject) => {
        pending.set(message.seq, { resolve, reject });
      });
      child.send(message);
      return withTimeout(reply, timeoutMs, `${options.name}.${method}`).finally(() =>
        pending.delete(message.seq),
      ) as Promise<Awaited<ReturnType<Api[typeof method]>>>;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    stop,
  };
}
