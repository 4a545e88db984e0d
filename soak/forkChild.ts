import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup, trackPid } from './cleanup.js';
import type { CallMessage, ChildApi, ChildMessage, SoakEvent } from './protocol.js';

/** A child process of the soak, driven by calls. */
export interface ChildHandle<Api extends ChildApi> {
  /** A name for messages (`worker-1`). */
  readonly name: string;
  readonly pid: number;
  /** Runs `method(arg)` in the child; rejects with the child's error, when it exits, or after `timeoutMs`. */
  call<M extends keyof Api & string>(
    method: M,
    arg: Parameters<Api[M]>[0],
    timeoutMs: number,
  ): Promise<Awaited<ReturnType<Api[M]>>>;
  /** Receives the events the child sends unprompted (worker processes). */
  onEvents(listener: (events: readonly SoakEvent[]) => void): void;
  /** Disconnects the child and waits for it to exit (SIGKILL after 5 s). Idempotent. */
  close(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Forks `soak/<file>` as `node --import tsx --expose-gc <file>` with an IPC channel, registered for cleanup.
 *
 * @example
 * ```ts
 * const worker = await forkChild<WorkerApi>('workerProcess.ts', 'worker-1');
 * await worker.call('init', init, 30_000);
 * await worker.close();
 * ```
 * @param file - the entry file, relative to `soak/`.
 * @param name - a name for messages.
 * @returns the handle, once the process is running.
 */
export async function forkChild<Api extends ChildApi>(file: string, name: string): Promise<ChildHandle<Api>> {
  const child: ChildProcess = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx', '--expose-gc'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const untrack = trackPid(child.pid);
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let listener: (events: readonly SoakEvent[]) => void = () => {};
  let seq = 0;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      untrack();
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      }
      pending.clear();
      resolve();
    });
  });
  const isAlive = (): boolean => child.exitCode === null && child.signalCode === null;
  child.on('message', (raw) => {
    const message = raw as ChildMessage;
    if (message.kind === 'events') {
      listener(message.events);
      return;
    }
    const waiter = pending.get(message.seq);
    if (waiter === undefined) return;
    pending.delete(message.seq);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${name}: ${message.error}`));
  });

  const close = onCleanup(async () => {
    if (child.connected) child.disconnect();
    const wait = (ms: number) =>
      Promise.race([exited, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
    await wait(5000);
    if (isAlive()) child.kill('SIGKILL');
    await wait(2000);
  });

  return {
    name,
    pid: child.pid ?? -1,
    call(method, arg, timeoutMs) {
      if (!isAlive() || !child.connected) return Promise.reject(new Error(`${name} is not running`));
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${method} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as Awaited<ReturnType<Api[typeof method]>>);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        const message: CallMessage = { kind: 'call', seq: id, method, arg };
        child.send(message);
      });
    },
    onEvents(next) {
      listener = next;
    },
    close,
  };
}
