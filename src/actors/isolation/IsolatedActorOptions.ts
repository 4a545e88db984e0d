import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { validateMilliseconds } from '../../core/validate.js';
import type { ActorOptions } from '../actor.js';

/**
 * Where an isolated actor's handler runs: a `worker_threads` thread or a child process.
 *
 * @example
 * ```ts
 * import type { Isolation } from 'rx-abort';
 * const isolation: Isolation = process.env.NATIVE_CODE ? 'process' : 'thread';
 * ```
 */
export type Isolation = 'thread' | 'process';

/**
 * Options of an isolated actor, `actor(name, moduleUrl, { isolation, ... })`: the {@link ActorOptions},
 * plus where the handler runs and how its isolates are started and stopped.
 *
 * @example
 * ```ts
 * import type { IsolatedActorOptions } from 'rx-abort';
 * const options: IsolatedActorOptions = { isolation: 'thread', terminateGrace: 100, maxRetries: 2 };
 * ```
 */
export interface IsolatedActorOptions extends ActorOptions {
  /**
   * `'thread'`: a pool of `worker_threads` (cheap to start, shares the process's memory limits);
   * `'process'`: a pool of child processes (for native code, memory limits, or crash isolation).
   */
  isolation: Isolation;
  /**
   * Milliseconds a task aborted with `abortTimeout = 0` gets, after its `signal` aborted, to settle before
   * its isolate is terminated (`worker.terminate()`, or SIGKILL for a process). A graceful abort
   * (`abortTimeout > 0`) and `worker.stop({ timeout })` terminate at their own deadline, without more grace.
   * @default 250
   */
  terminateGrace?: number;
  /**
   * Node.js flags of each isolate (for a TypeScript module in a child process: `['--import', 'tsx']`).
   * @default the worker process's `process.execArgv`
   */
  execArgv?: readonly string[];
  /** Memory limits of each thread (`'thread'` only), passed to `new Worker()` as they are. @default none */
  resourceLimits?: ResourceLimits;
}

/** An isolated actor's settings, checked. */
export interface IsolationSpec {
  /** Where the handler runs: `'thread'` or `'process'`. */
  readonly isolation: Isolation;
  /** The module's URL (`file:` URL of its path). */
  readonly moduleUrl: string;
  /** Milliseconds a hard-aborted handler is given to settle before its isolate is terminated. */
  readonly terminateGrace: number;
  /** Node.js flags of the isolate (`undefined`: the parent's). */
  readonly execArgv: readonly string[] | undefined;
  /** A thread's `resourceLimits` (threads only). */
  readonly resourceLimits: ResourceLimits | undefined;
}

/** The keys an isolated actor accepts besides the {@link ActorOptions}. */
export const ISOLATION_KEYS = ['isolation', 'terminateGrace', 'execArgv', 'resourceLimits'] as const;

/**
 * Checks a module reference and the isolation options of `actor(name, moduleUrl, options)`.
 * @throws TypeError / RangeError naming the argument.
 */
export function validateIsolation(module: unknown, options: Partial<IsolatedActorOptions>): IsolationSpec {
  const moduleUrl = resolveModuleUrl(module);
  const { isolation } = options;
  if (isolation !== 'thread' && isolation !== 'process') {
    throw new TypeError(
      `options.isolation must be 'thread' or 'process' for an actor declared with a module URL, got ${JSON.stringify(isolation)}`,
    );
  }
  const terminateGrace =
    options.terminateGrace === undefined
      ? 250
      : validateMilliseconds(options.terminateGrace, 'options.terminateGrace', 0, 2 ** 31 - 1);
  let execArgv: readonly string[] | undefined;
  if (options.execArgv !== undefined) {
    if (!Array.isArray(options.execArgv) || options.execArgv.some((flag) => typeof flag !== 'string')) {
      throw new TypeError('options.execArgv must be an array of strings (Node.js flags)');
    }
    execArgv = [...options.execArgv];
  }
  const { resourceLimits } = options;
  if (resourceLimits !== undefined) {
    if (isolation !== 'thread') {
      throw new TypeError(
        "options.resourceLimits applies to isolation 'thread' only (for a process, pass execArgv: ['--max-old-space-size=…'])",
      );
    }
    if (resourceLimits === null || typeof resourceLimits !== 'object' || Array.isArray(resourceLimits)) {
      throw new TypeError('options.resourceLimits must be an object (worker_threads ResourceLimits)');
    }
  }
  return { isolation, moduleUrl, terminateGrace, execArgv, resourceLimits };
}

/** A `URL`, a `file:` URL string or an absolute path, as a `file:` URL string of an existing file. */
function resolveModuleUrl(module: unknown): string {
  let url: URL;
  if (module instanceof URL) {
    url = module;
  } else if (typeof module === 'string' && module.startsWith('file:')) {
    url = new URL(module);
  } else if (typeof module === 'string' && isAbsolute(module)) {
    url = pathToFileURL(module);
  } else {
    throw new TypeError(
      "moduleUrl must be a URL, a file: URL string or an absolute path, e.g. new URL('./resize.js', import.meta.url)",
    );
  }
  if (url.protocol !== 'file:') {
    throw new TypeError(`moduleUrl must be a file: URL, got ${url.protocol} (${url.href})`);
  }
  if (!existsSync(fileURLToPath(url))) {
    throw new TypeError(`moduleUrl names no file: ${fileURLToPath(url)}`);
  }
  return url.href;
}
