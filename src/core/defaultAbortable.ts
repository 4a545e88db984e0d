import type { Abortable } from './Abortable.js';
import { NoAbortableError } from './errors/NoAbortableError.js';

/**
 * A function that returns the default {@link Abortable} when asked, or `undefined` when there is none yet:
 * what {@link setDefaultAbortable} takes to look the default up lazily.
 *
 * @example
 * ```ts
 * import { Abortable, type AbortableProvider, getBroker, setDefaultAbortable } from 'rx-abort';
 * const provider: AbortableProvider = () => getBroker().getMiddleware(Abortable);
 * setDefaultAbortable(provider);
 * ```
 */
export type AbortableProvider = () => Abortable | undefined;

let provider: AbortableProvider | undefined;

/**
 * Sets the process-wide default {@link Abortable} that the top-level `abort`, `abort$`, `aborted`,
 * `abortSignal`, `takeUntilAborted` and `throwOnAbort` use when no `{ abortable }` option is passed.
 *
 * Pass an instance, a function that looks one up each time (this is how the default broker provides the
 * `Abortable` middleware added to it), or `undefined` to clear it. `setBroker()` calls this for you.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, abort, setDefaultAbortable } from 'rx-abort';
 * setDefaultAbortable(new Abortable({ backend: new MemoryBackend() }));
 * await abort('job-1');
 * ```
 * @param abortable - the default, a provider of it, or `undefined`.
 */
export function setDefaultAbortable(abortable: Abortable | AbortableProvider | undefined): void {
  if (abortable === undefined) provider = undefined;
  else if (typeof abortable === 'function') provider = abortable;
  else if (typeof abortable === 'object' && abortable !== null) provider = () => abortable;
  else throw new TypeError('abortable must be an Abortable, a function returning one, or undefined');
}

/**
 * The {@link Abortable} a top-level call uses: the one passed in its options, else the process-wide default.
 *
 * @example
 * ```ts
 * import { Abortable, MemoryBackend, getDefaultAbortable, setDefaultAbortable } from 'rx-abort';
 * setDefaultAbortable(new Abortable({ backend: new MemoryBackend() }));
 * console.log(getDefaultAbortable().abortTtl); // 90000
 * ```
 * @param options - an object whose `abortable` field, when set, is returned as is.
 * @returns the Abortable to use.
 * @throws TypeError when `options.abortable` is set to something that is not an Abortable;
 * NoAbortableError when none is passed and no default is configured.
 */
export function getDefaultAbortable(options?: { readonly abortable?: Abortable | undefined }): Abortable {
  const given: unknown = options?.abortable;
  if (given !== undefined && given !== null && !isAbortable(given)) {
    throw new TypeError(
      `options.abortable must be an Abortable (new Abortable({ backend })), got ${
        Array.isArray(given) ? 'an array' : typeof given === 'object' ? 'an object' : `a ${typeof given}`
      }`,
    );
  }
  const abortable = options?.abortable ?? provider?.();
  if (abortable === undefined) throw new NoAbortableError();
  return abortable;
}

/** Duck-typed (no runtime import of Abortable, which imports this module): the methods the top-level calls use. */
function isAbortable(value: unknown): value is Abortable {
  const candidate = value as Partial<Record<keyof Abortable, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.abort === 'function' &&
    typeof candidate.abort$ === 'function' &&
    typeof candidate.aborted === 'function' &&
    typeof candidate.abortSignal === 'function'
  );
}
