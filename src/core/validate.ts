import { ABORT_MODES, type AbortMode } from './AbortMode.js';

/** The longest task id accepted, in UTF-16 code units. */
export const MAX_ID_LENGTH = 1024;
/** The longest `reason` accepted, in UTF-16 code units. */
export const MAX_REASON_LENGTH = 4096;
/** The largest `abortTtl` accepted: 10 years in milliseconds. */
export const MAX_ABORT_TTL = 10 * 365 * 24 * 60 * 60 * 1000;
/** The largest `abortTimeout` accepted: the longest delay a Node.js timer takes (about 24.8 days). */
export const MAX_ABORT_TIMEOUT = 2 ** 31 - 1;

const describe = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/**
 * Checks a task id: a non-empty string of at most {@link MAX_ID_LENGTH} characters with no newline, carriage
 * return or NUL, and no lone surrogate (an unpaired UTF-16 half has no UTF-8 form: Redis would store it as
 * U+FFFD, so `'\uD800'`, `'\uDC00'` and `'\uFFFD'` would share one key).
 * @throws TypeError when `id` is not a string; RangeError when it is empty, too long or holds a forbidden character.
 */
export function validateId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string') throw new TypeError(`${name} must be a string, got ${describe(id)}`);
  if (id.length === 0) throw new RangeError(`${name} must not be empty`);
  if (id.length > MAX_ID_LENGTH) {
    throw new RangeError(`${name} must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
  }
  if (/[\n\r\0]/.test(id)) throw new RangeError(`${name} must not contain newlines, carriage returns or NUL`);
  if (/[\uD800-\uDFFF]/u.test(id)) {
    throw new RangeError(
      `${name} must be well-formed Unicode, without lone surrogates (unpaired \\uD800-\\uDFFF)`,
    );
  }
}

/**
 * Checks one id or a non-empty array of ids and returns them as an array.
 * @throws TypeError / RangeError naming the argument (`ids[3]` for the fourth of an array).
 */
export function validateIds(ids: unknown, name = 'id'): string[] {
  if (Array.isArray(ids)) {
    if (ids.length === 0) throw new RangeError(`${name} must not be an empty array`);
    for (const [index, id] of ids.entries()) validateId(id, `${name}[${index}]`);
    return ids as string[];
  }
  validateId(ids, name);
  return [ids];
}

/**
 * Checks a whole number of milliseconds within `[min, max]`.
 * @throws TypeError when not a number; RangeError when NaN, infinite, fractional or out of range.
 */
export function validateMilliseconds(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number of milliseconds, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${name} must be a whole number of milliseconds from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks an `abortTtl`: whole milliseconds from 1 to {@link MAX_ABORT_TTL}. */
export const validateAbortTtl = (value: unknown, name = 'abortTtl'): number =>
  validateMilliseconds(value, name, 1, MAX_ABORT_TTL);

/** Checks an `abortTimeout`: whole milliseconds from 0 to {@link MAX_ABORT_TIMEOUT}. */
export const validateAbortTimeout = (value: unknown, name = 'abortTimeout'): number =>
  validateMilliseconds(value, name, 0, MAX_ABORT_TIMEOUT);

/** The fields of an abort's options, checked: what `abort()` and its adapters validate before writing. */
export interface CheckedAbortFields {
  readonly mode: AbortMode;
  /** `undefined` when not given (the Abortable's own applies). */
  readonly abortTtl: number | undefined;
  readonly abortTimeout: number;
  readonly reason: string | undefined;
}

/**
 * Checks the fields of an abort's options (`mode`, `abortTtl`, `abortTimeout`, `reason`), with `mode`
 * defaulting to `'abort'` and `abortTimeout` to `0`.
 * @throws TypeError / RangeError naming the field.
 */
export function validateAbortFields(options: {
  readonly mode?: unknown;
  readonly abortTtl?: unknown;
  readonly abortTimeout?: unknown;
  readonly reason?: unknown;
}): CheckedAbortFields {
  return {
    mode: options.mode === undefined ? 'abort' : validateMode(options.mode),
    abortTtl: options.abortTtl === undefined ? undefined : validateAbortTtl(options.abortTtl),
    abortTimeout: options.abortTimeout === undefined ? 0 : validateAbortTimeout(options.abortTimeout),
    reason: validateReason(options.reason),
  };
}

/** Checks a mode: `'abort'` or `'cancel'`. */
export function validateMode(mode: unknown, name = 'mode'): AbortMode {
  if (!ABORT_MODES.includes(mode as AbortMode)) {
    throw new TypeError(
      `${name} must be one of ${ABORT_MODES.map((m) => `'${m}'`).join(', ')}, got ${describe(mode)}`,
    );
  }
  return mode as AbortMode;
}

/** Checks an optional reason: a string of at most {@link MAX_REASON_LENGTH} characters. */
export function validateReason(reason: unknown, name = 'reason'): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string') throw new TypeError(`${name} must be a string, got ${describe(reason)}`);
  if (reason.length > MAX_REASON_LENGTH) {
    throw new RangeError(`${name} must be at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`);
  }
  return reason;
}

/**
 * The keys an options object of type `T` may have, each mapped to `true`. Written as an object rather than
 * a list so that the compiler insists on every key of `T`: an option added to an interface but not here is
 * a type error, not an option rejected at run time.
 */
export type OptionKeys<T> = { readonly [K in keyof T & string]-?: true };

/** How many single-character edits turn `a` into `b` (Levenshtein distance). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known key closest to `key`, if it is close enough to be a likely misspelling: the same letters in
 * another case, or at most a third of the longer name's characters (and at least 2) edited.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    const bound = Math.max(2, Math.floor(Math.max(key.length, candidate.length) / 3));
    if (distance <= bound && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Checks that an options argument is an object (or undefined) whose own keys are all among `known`. Keys
 * with the value `undefined` count too: in JavaScript a misspelled option (`abortTTL`, `concurency`) would
 * otherwise be ignored without a word.
 * @param options - the argument as received.
 * @param known - every key the options type has (see {@link OptionKeys}).
 * @param name - the argument's name in error messages.
 * @throws TypeError when `options` is not an object, or has a key not in `known` (naming the closest known key).
 */
export function validateOptions<T extends object>(
  options: unknown,
  known: OptionKeys<T>,
  name = 'options',
): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${name} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const keys = Object.keys(known);
    const closest = closestKey(key, keys);
    throw new TypeError(
      `${name} has an unknown key ${JSON.stringify(key)}: ` +
        (closest === undefined
          ? keys.length === 0
            ? 'it takes no options'
            : `the known keys are ${keys.join(', ')}`
          : `did you mean ${JSON.stringify(closest)}?`),
    );
  }
  return options as Partial<T>;
}

/** Checks an optional boolean flag. */
export function validateBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}
