import { validateMilliseconds } from '../core/validate.js';

/** The longest actor or queue name accepted, in characters. */
export const MAX_NAME_LENGTH = 256;
/** The longest `delay` accepted: 10 years in milliseconds. */
export const MAX_DELAY = 10 * 365 * 24 * 60 * 60 * 1000;
/** The largest `concurrency` a worker accepts. */
export const MAX_CONCURRENCY = 10_000;
/** The largest `maxRetries` accepted. */
export const MAX_RETRIES = 1_000_000;

const NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;

const describe = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/**
 * Checks an actor or queue name: 1 to {@link MAX_NAME_LENGTH} characters of `A-Z a-z 0-9 _ . : -`
 * (names become Redis keys, so no spaces, braces, glob characters or control characters).
 * @throws TypeError when `value` is not a string; RangeError when it is empty, too long or holds another character.
 */
export function validateName(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new RangeError(`${name} must be at most ${MAX_NAME_LENGTH} characters, got ${value.length}`);
  }
  if (!NAME_PATTERN.test(value)) {
    throw new RangeError(
      `${name} may only contain letters, digits, '_', '.', ':' and '-', got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks a whole number within `[min, max]` (a count, not milliseconds). */
export function validateCount(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** Checks a `delay`: whole milliseconds from 0 to {@link MAX_DELAY}. */
export const validateDelay = (value: unknown, name = 'delay'): number =>
  validateMilliseconds(value, name, 0, MAX_DELAY);

/** Checks a `maxRetries`: a whole number from 0 to {@link MAX_RETRIES}. */
export const validateMaxRetries = (value: unknown, name = 'maxRetries'): number =>
  validateCount(value, name, 0, MAX_RETRIES);

/** Checks a worker `concurrency`: a whole number from 1 to {@link MAX_CONCURRENCY}. */
export const validateConcurrency = (value: unknown, name = 'concurrency'): number =>
  validateCount(value, name, 1, MAX_CONCURRENCY);

const describePrototype = (value: object): string => {
  const constructorName = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  return typeof constructorName === 'string' && constructorName.length > 0
    ? `a ${constructorName}`
    : 'an object with a custom prototype';
};

/**
 * Checks that message args survive a JSON round trip unchanged: only strings, finite numbers, booleans,
 * `null`, arrays without holes or `undefined`, and plain objects (whose `undefined` properties are dropped,
 * as JSON does). Refuses functions, symbols, BigInts, `NaN`/`Infinity` (JSON turns them into `null`),
 * class instances such as `Date` or `Map` (JSON turns them into strings or `{}`), and cycles.
 *
 * @throws TypeError naming the offending value by path, e.g. `args[1].items[0]`.
 */
export function validateArgs(args: unknown, name = 'args'): unknown[] {
  if (!Array.isArray(args)) throw new TypeError(`${name} must be an array, got ${describe(args)}`);
  const ancestors = new Set<object>();
  const visit = (value: unknown, path: string): void => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(value)) {
          throw new TypeError(`${path} is ${value}, which JSON turns into null: pass a finite number`);
        }
        return;
      case 'undefined':
        throw new TypeError(`${path} is undefined, which JSON cannot carry in a list: pass null`);
      case 'function':
      case 'symbol':
      case 'bigint':
        throw new TypeError(`${path} is a ${typeof value}, which JSON cannot carry`);
    }
    if (value === null) return;
    const object = value as object;
    if (ancestors.has(object))
      throw new TypeError(`${path} refers back to itself (a cycle JSON cannot carry)`);
    ancestors.add(object);
    if (Array.isArray(object)) {
      for (let index = 0; index < object.length; index++) {
        if (!(index in object))
          throw new TypeError(`${path}[${index}] is a hole, which JSON turns into null`);
        visit(object[index], `${path}[${index}]`);
      }
    } else {
      const prototype = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) {
        throw new TypeError(
          `${path} is ${describePrototype(object)}, which JSON does not carry as is: pass plain data (e.g. date.toISOString())`,
        );
      }
      for (const [key, property] of Object.entries(object)) {
        if (property === undefined) continue;
        visit(
          property,
          /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        );
      }
    }
    ancestors.delete(object);
  };
  for (let index = 0; index < args.length; index++) {
    if (!(index in args)) throw new TypeError(`${name}[${index}] is a hole, which JSON turns into null`);
    visit(args[index], `${name}[${index}]`);
  }
  return args;
}
