import type { Abortable } from '../core/Abortable.js';
import { getDefaultAbortable } from '../core/defaultAbortable.js';
import { validateOptions } from '../core/validate.js';

/**
 * Checks an options object: an object (or undefined) with no keys but `allowed`, so a misspelt option is a
 * `TypeError` rather than silently ignored.
 */
export function validateKnownOptions<T extends object>(
  options: unknown,
  allowed: readonly (keyof T & string)[],
  name = 'options',
): Partial<T> {
  const checked = validateOptions<T>(options, name);
  for (const key of Object.keys(checked)) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw new TypeError(
        `${name}.${key} is not an option; the options are ${allowed.map((k) => `'${k}'`).join(', ')}`,
      );
    }
  }
  return checked;
}

/** The `abortable` option, else the process-wide default; a TypeError naming the option otherwise. */
export const abortableOption = (options: { readonly abortable?: Abortable | undefined }): Abortable =>
  getDefaultAbortable(options);
