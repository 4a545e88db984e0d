import { type ChildProcess, spawn } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { IsolationSpec } from './IsolatedActorOptions.js';
import { ISOLATE_CHANNEL, type IsolateEvent } from './isolateEvents.js';
import { isTypeScript, tsxApiUrl } from './loader.js';
import type { FromIsolate, SerializedError, ToIsolate } from './protocol.js';

/** The isolate program, next to this file with this file's extension (`.ts` in src/, `.js` in dist/). */
const MAIN_URL = new URL(`./isolateMain${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * What an isolate runs first (CommonJS, as `node -e` or an `eval` thread): registers tsx when a
 * TypeScript module is to be loaded, then imports the isolate program. A failure to load is reported.
 */
const STUB = `
const data = require('node:worker_threads').workerData ?? JSON.parse(process.argv[1]);
(async () => {
  if (data.tsx) (await import(data.tsx)).register();
  await import(data.main);
})().catch((error) => {
  if (process.send === undefined) throw error;
  const e = error instanceof Error ? error : new Error(String(error));
  process.send({ type: 'crash', error: { name: e.name, message: e.message, stack: e.stack, code: e.code } }, () => process.exit(70));
});
`;

const events = channel(ISOLATE_CHANNEL);

/** How an isolate ended: its exit code or signal, and the error that killed it if one was reported. */
export interface IsolateExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly error: SerializedError | undefined;
  /** Whether the pool terminated it. */
  readonly terminated: boolean;
}

/**
 * One thread or child process running {@link isolateMain}: a message channel that queues until the
 * isolate is ready, an exit promise, and `terminate()` (`worker.terminate()`, or SIGKILL). Internal.
 */
export class Isolate {
  /** The thread id or the child's pid. */
  readonly id: number;
  /** Resolves when the isolate has exited. */
  readonly exited: Promise<IsolateExit>;
  /** Called for each message from the isolate. */
  onMessage: (message: FromIsolate) => void = () => {};
  /** Called once when it exits (terminated or not). */
  onExit: (exit: IsolateExit) => void = () => {};
  #ready = false;
  #queue: ToIsolate[] = [];
  #error: SerializedError | undefined;
  #terminated = false;
  #exit: IsolateExit | undefined;
  readonly #thread: Thread | undefined;
  readonly #child: ChildProcess | undefined;
  readonly #actorName: string;
  readonly #spec: IsolationSpec;

  /**
   * Starts the thread or process.
   * @throws what `new Worker()` or `spawn()` throws (e.g. an execArgv flag a thread does not accept).
   */
  constructor(actorName: string, spec: IsolationSpec) {
    this.#actorName = actorName;
    this.#spec = spec;
    const needsTsx = isTypeScript(MAIN_URL) || isTypeScript(spec.moduleUrl);
    const tsx = needsTsx ? tsxApiUrl([spec.moduleUrl, import.meta.url]) : undefined;
    if (needsTsx && tsx === undefined) {
      throw new TypeError(
        `${spec.moduleUrl} is TypeScript: install tsx (npm i -D tsx) to load it in an isolate, or point the actor to the built .js file`,
      );
    }
    const data = { main: MAIN_URL, tsx };
    let resolveExit: (exit: IsolateExit) => void = () => {};
    this.exited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    const exited = (code: number | null, signal: string | null): void => {
      if (this.#exit !== undefined) return;
      this.#exit = { code, signal, error: this.#error, terminated: this.#terminated };
      this.#publish(this.#terminated ? 'terminated' : 'exited');
      this.onExit(this.#exit);
    };
    if (spec.isolation === 'thread') {
      const thread = new Thread(STUB, {
        eval: true,
        workerData: data,
        ...(spec.execArgv === undefined ? {} : { execArgv: [...spec.execArgv] }),
        ...(spec.resourceLimits === undefined ? {} : { resourceLimits: spec.resourceLimits }),
      });
      this.#thread = thread;
      this.id = thread.threadId;
      thread.on('message', (message: FromIsolate) => this.#receive(message));
      thread.on('error', (error: Error) => {
        const code = (error as { code?: unknown }).code;
        this.#error ??= {
          name: error.name,
          message: error.message,
          stack: error.stack,
          code: typeof code === 'string' ? code : undefined,
        };
      });
      thread.on('exit', (code) => {
        exited(code, null);
        if (this.#exit !== undefined) resolveExit(this.#exit);
      });
    } else {
      const child = spawn(
        process.execPath,
        [...(spec.execArgv ?? process.execArgv), '-e', STUB, JSON.stringify(data)],
        {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          serialization: 'advanced',
        },
      );
      this.#child = child;
      this.id = child.pid ?? -1;
      child.on('message', (message: FromIsolate) => this.#receive(message));
      child.on('error', (error) => {
        this.#error ??= { name: error.name, message: error.message, stack: error.stack, code: undefined };
      });
      child.on('exit', (code, signal) => exited(code, signal));
      // 'close' comes once its stdio and IPC channel are closed too: nothing of it is left.
      child.on('close', (code, signal) => {
        exited(code, signal);
        // Node releases the child's handle in the close phase of this loop turn.
        const exit = this.#exit;
        if (exit !== undefined) setTimeout(() => resolveExit(exit), 0);
      });
    }
    this.#publish('started');
  }

  /** Sends a message (queued until the isolate is ready). Dropped once it exited. */
  post(message: ToIsolate): void {
    if (this.#exit !== undefined || this.#terminated) return;
    if (!this.#ready) {
      this.#queue.push(message);
      return;
    }
    if (this.#thread !== undefined) this.#thread.postMessage(message);
    else if (this.#child?.connected) this.#child.send(message);
  }

  /** Whether it has exited or is being terminated. */
  get gone(): boolean {
    return this.#exit !== undefined || this.#terminated;
  }

  /** Kills it now (`worker.terminate()`, or SIGKILL), tagging the exit with `messageId`. @returns its exit. */
  terminate(messageId?: string): Promise<IsolateExit> {
    if (!this.gone) {
      this.#terminated = true;
      this.#messageId = messageId;
      if (this.#thread !== undefined) void this.#thread.terminate();
      else this.#child?.kill('SIGKILL');
    }
    return this.exited;
  }

  /** Lets the worker process exit while this isolate is idle (`unref`), or not (`ref`). */
  keepAlive(alive: boolean): void {
    const handle = this.#thread ?? this.#child;
    if (alive) handle?.ref();
    else handle?.unref();
    const ipc = this.#child?.channel as { ref?: () => void; unref?: () => void } | undefined | null;
    if (alive) ipc?.ref?.();
    else ipc?.unref?.();
  }

  #messageId: string | undefined;

  #receive(message: FromIsolate): void {
    if (message.type === 'ready') {
      this.#ready = true;
      const queued = this.#queue;
      this.#queue = [];
      for (const next of queued) this.post(next);
      return;
    }
    if (message.type === 'crash') {
      this.#error ??= message.error;
      return;
    }
    this.onMessage(message);
  }

  #publish(type: IsolateEvent['type']): void {
    if (!events.hasSubscribers) return;
    const event: IsolateEvent = {
      type,
      actorName: this.#actorName,
      isolation: this.#spec.isolation,
      isolateId: this.id,
      at: performance.timeOrigin + performance.now(),
      ...(this.#messageId === undefined ? {} : { messageId: this.#messageId }),
    };
    events.publish(event);
  }
}
