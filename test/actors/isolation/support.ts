import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISOLATE_CHANNEL, type IsolateEvent } from '../../../src/index.js';

/** The module of the isolation tests' handlers (see fixtures/behaviours.ts). */
export const BEHAVIOURS = new URL('./fixtures/behaviours.ts', import.meta.url);

/** The args of the behaviours module. */
export type BehaviourArgs = [what: string, param: number | string | null];

/**
 * A file a behaviour writes when its handler starts (pass `path` as its param), and a wait for it: abort a
 * loop only once it runs (an abort that reaches an isolate before its handler ran ends the task unrun).
 */
export function runningMarker(): { path: string; running(ms?: number): Promise<void>; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rx-abort-running-'));
  const path = join(dir, 'running');
  return {
    path,
    async running(ms = 15_000) {
      for (const started = Date.now(); !existsSync(path); ) {
        if (Date.now() - started > ms) throw new Error(`the handler did not start within ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Records what {@link ISOLATE_CHANNEL} publishes while it is open. */
export class IsolateLog {
  readonly events: IsolateEvent[] = [];
  readonly #listener = (message: unknown): void => {
    this.events.push(message as IsolateEvent);
  };

  constructor() {
    subscribe(ISOLATE_CHANNEL, this.#listener);
  }

  /** Events of one type (of one message, for `'terminated'`). */
  of(type: IsolateEvent['type'], messageId?: string): IsolateEvent[] {
    return this.events.filter(
      (event) => event.type === type && (messageId === undefined || event.messageId === messageId),
    );
  }

  /** Waits for the first event of `type` (of one message), up to `ms`. */
  async next(type: IsolateEvent['type'], messageId?: string, ms = 10_000): Promise<IsolateEvent> {
    const started = Date.now();
    for (;;) {
      const [found] = this.of(type, messageId);
      if (found !== undefined) return found;
      if (Date.now() - started > ms) throw new Error(`no '${type}' isolate event within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Started and not yet exited. */
  get alive(): number {
    return this.of('started').length - this.of('terminated').length - this.of('exited').length;
  }

  close(): void {
    unsubscribe(ISOLATE_CHANNEL, this.#listener);
  }
}

/** Whether a process id is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Worker threads and child processes among the active handles of this process. */
export function isolateHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  return handles.filter((handle) => {
    const name = handle.constructor?.name ?? '';
    return name === 'Worker' || name === 'ChildProcess' || name === 'MessagePort';
  }).length;
}
