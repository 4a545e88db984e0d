import type { Abortable } from '../core/Abortable.js';
import { getDefaultAbortable } from '../core/defaultAbortable.js';
import { type OptionKeys, validateOptions } from '../core/validate.js';

/**
 * Checks an options object: an object (or undefined) with no keys but `allowed`, so a misspelt option is a
 * `TypeError` naming it and the closest known key (through the library's {@link validateOptions}).
 */
export function validateKnownOptions<T extends object>(
  options: unknown,
  allowed: readonly (keyof T & string)[],
  name = 'options',
): Partial<T> {
  const known = Object.fromEntries(allowed.map((key) => [key, true])) as OptionKeys<T>;
  return validateOptions<T>(options, known, name);
}

/** The `abortable` option, else the process-wide default; a TypeError naming the option otherwise. */
export const abortableOption = (options: { readonly abortable?: Abortable | undefined }): Abortable =>
  getDefaultAbortable(options);
