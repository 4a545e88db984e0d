import { afterEach, describe, expect, it } from 'vitest';
import {
  closestKey,
  validateAbortTimeout,
  validateAbortTtl,
  validateBoolean,
  validateId,
  validateIds,
  validateMilliseconds,
  validateMode,
  validateOptions,
  validateReason,
} from '../../src/core/validate.js';
import {
  Abortable,
  abort,
  abort$,
  aborted,
  abortSignal,
  actor,
  MAX_ABORT_TIMEOUT,
  MAX_ABORT_TTL,
  MAX_ID_LENGTH,
  MAX_REASON_LENGTH,
  MemoryBackend,
  MemoryBroker,
  RedisBackend,
  RedisBroker,
  setDefaultAbortable,
  takeUntilAborted,
  throwOnAbort,
  Worker,
} from '../../src/index.js';

type ErrorClass = typeof TypeError | typeof RangeError;

/** Bad ids, the error they raise and a piece of its message. */
const badIds: [label: string, id: unknown, error: ErrorClass, message: RegExp][] = [
  ['empty', '', RangeError, /^id must not be empty/],
  ['a number', 42, TypeError, /^id must be a string, got 42/],
  ['undefined', undefined, TypeError, /^id must be a string, got a undefined/],
  ['null', null, TypeError, /^id must be a string, got null/],
  ['an object', { id: 'x' }, TypeError, /^id must be a string, got an object/],
  ['too long', 'x'.repeat(MAX_ID_LENGTH + 1), RangeError, /^id must be at most 1024 characters/],
  ['with a newline', 'a\nb', RangeError, /^id must not contain newlines/],
  ['with a carriage return', 'a\rb', RangeError, /^id must not contain newlines/],
  ['with a NUL', 'a\0b', RangeError, /^id must not contain newlines, carriage returns or NUL/],
];

/** Bad abort() options, the error they raise and a piece of its message. */
const badAbortOptions: [label: string, options: unknown, error: ErrorClass, message: RegExp][] = [
  ['options not an object', 'cancel', TypeError, /^options must be an object, got "cancel"/],
  ['options null', null, TypeError, /^options must be an object, got null/],
  ['options an array', [], TypeError, /^options must be an object, got an array/],
  ['unknown mode', { mode: 'stop' }, TypeError, /^mode must be one of 'abort', 'cancel', got "stop"/],
  ['mode null', { mode: null }, TypeError, /^mode must be one of/],
  ['abortTtl a string', { abortTtl: '100' }, TypeError, /^abortTtl must be a number of milliseconds/],
  ['abortTtl negative', { abortTtl: -1 }, RangeError, /^abortTtl must be a whole number .* got -1/],
  ['abortTtl zero', { abortTtl: 0 }, RangeError, /^abortTtl must be a whole number .* got 0/],
  ['abortTtl NaN', { abortTtl: Number.NaN }, RangeError, /^abortTtl .* got NaN/],
  ['abortTtl Infinity', { abortTtl: Number.POSITIVE_INFINITY }, RangeError, /^abortTtl .* got Infinity/],
  ['abortTtl fractional', { abortTtl: 1.5 }, RangeError, /^abortTtl .* got 1.5/],
  ['abortTtl too big', { abortTtl: MAX_ABORT_TTL + 1 }, RangeError, /^abortTtl .* from 1 to 315360000000/],
  ['abortTimeout negative', { abortTimeout: -1 }, RangeError, /^abortTimeout .* got -1/],
  ['abortTimeout NaN', { abortTimeout: Number.NaN }, RangeError, /^abortTimeout .* got NaN/],
  [
    'abortTimeout too big',
    { abortTimeout: MAX_ABORT_TIMEOUT + 1 },
    RangeError,
    /^abortTimeout .* to 2147483647/,
  ],
  ['reason not a string', { reason: 42 }, TypeError, /^reason must be a string, got 42/],
  [
    'reason too long',
    { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) },
    RangeError,
    /^reason must be at most 4096/,
  ],
];

const abortable = new Abortable({ backend: new MemoryBackend() });

/** Every public entry point that takes an id, called with `id` (and a valid Abortable). */
const takesAnId: [name: string, call: (id: unknown) => unknown][] = [
  ['Abortable#abort', (id) => abortable.abort(id as string)],
  ['Abortable#abort$', (id) => abortable.abort$(id as string)],
  ['Abortable#aborted', (id) => abortable.aborted(id as string)],
  ['Abortable#abortSignal', (id) => abortable.abortSignal(id as string)],
  ['Abortable#takeUntilAborted', (id) => abortable.takeUntilAborted(id as string)],
  ['Abortable#throwOnAbort', (id) => abortable.throwOnAbort(id as string)],
  ['abort', (id) => abort(id as string, { abortable })],
  ['abort$', (id) => abort$(id as string, { abortable })],
  ['aborted', (id) => aborted(id as string, { abortable })],
  ['abortSignal', (id) => abortSignal(id as string, { abortable })],
  ['takeUntilAborted', (id) => takeUntilAborted(id as string, { abortable })],
  ['throwOnAbort', (id) => throwOnAbort(id as string, { abortable })],
];

/** Every public entry point that takes options, called with `options`. */
const takesOptions: [name: string, call: (options: unknown) => unknown][] = [
  ['Abortable#abort', (options) => abortable.abort('job-1', options as never)],
  ['Abortable#abortSignal', (options) => abortable.abortSignal('job-1', options as never)],
  ['abort', (options) => abort('job-1', options as never)],
  ['abort$', (options) => abort$('job-1', options as never)],
  ['aborted', (options) => aborted('job-1', options as never)],
  ['abortSignal', (options) => abortSignal('job-1', options as never)],
  ['takeUntilAborted', (options) => takeUntilAborted('job-1', options as never)],
  ['throwOnAbort', (options) => throwOnAbort('job-1', options as never)],
  ['new Abortable', (options) => new Abortable(options as never)],
];

afterEach(() => {
  setDefaultAbortable(undefined);
});

describe('bad ids throw synchronously, naming the argument', () => {
  for (const [name, call] of takesAnId) {
    it.each(badIds)(`${name}: %s`, (_label, id, error, message) => {
      expect(() => call(id)).toThrow(error);
      expect(() => call(id)).toThrow(message);
    });
  }

  it.each([
    ['Abortable#abort', (ids: unknown) => abortable.abort(ids as string[])],
    ['abort', (ids: unknown) => abort(ids as string[], { abortable })],
  ])('%s names the bad element of an array of ids', (_name, call) => {
    expect(() => call(['job-1', 'job-2', ''])).toThrow(/^id\[2\] must not be empty/);
    expect(() => call(['job-1', 7])).toThrow(/^id\[1\] must be a string, got 7/);
    expect(() => call([])).toThrow(RangeError);
    expect(() => call([])).toThrow(/^id must not be an empty array/);
  });
});

describe('bad abort() options throw synchronously, naming the argument', () => {
  it.each(badAbortOptions)('Abortable#abort: %s', (_label, options, error, message) => {
    expect(() => abortable.abort('job-1', options as never)).toThrow(error);
    expect(() => abortable.abort('job-1', options as never)).toThrow(message);
  });

  it.each(badAbortOptions)('abort: %s', (_label, options, error, message) => {
    // The options must be an object before the { abortable } in them can be looked up.
    const withAbortable =
      options !== null && typeof options === 'object' && !Array.isArray(options)
        ? { ...options, abortable }
        : options;
    setDefaultAbortable(abortable);
    expect(() => abort('job-1', withAbortable as never)).toThrow(error);
    expect(() => abort('job-1', withAbortable as never)).toThrow(message);
  });
});

describe('non-object options throw a TypeError naming options', () => {
  for (const [name, call] of takesOptions) {
    it.each([
      ['a string', 'x'],
      ['a number', 1],
      ['null', null],
      ['an array', []],
    ])(`${name}: %s`, (_label, options) => {
      setDefaultAbortable(abortable); // so a missing check cannot hide behind NoAbortableError
      expect(() => call(options)).toThrow(TypeError);
      expect(() => call(options)).toThrow(/^options must be an object/);
    });
  }
});

describe('new Abortable options', () => {
  const backend = new MemoryBackend();
  it.each([
    ['no backend', {}, TypeError, /^options\.backend must be an EventBackend/],
    ['a backend that is not one', { backend: {} }, TypeError, /^options\.backend must be an EventBackend/],
    ['abortTtl negative', { backend, abortTtl: -5 }, RangeError, /^options\.abortTtl .* got -5/],
    ['abortTtl Infinity', { backend, abortTtl: Number.POSITIVE_INFINITY }, RangeError, /^options\.abortTtl/],
    ['abortTtl NaN', { backend, abortTtl: Number.NaN }, RangeError, /^options\.abortTtl/],
    [
      'abortable not a boolean',
      { backend, abortable: 'yes' },
      TypeError,
      /^options\.abortable must be a boolean/,
    ],
  ])('%s', (_label, options, error, message) => {
    expect(() => new Abortable(options as never)).toThrow(error);
    expect(() => new Abortable(options as never)).toThrow(message);
  });
});

describe('abortSignal options', () => {
  it.each([
    ['Abortable#abortSignal', () => abortable.abortSignal('job-1', { signal: {} as AbortSignal })],
    ['abortSignal', () => abortSignal('job-1', { abortable, signal: 'no' as unknown as AbortSignal })],
  ])('%s: a signal that is not an AbortSignal is a TypeError', (_name, call) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(/^options\.signal must be an AbortSignal/);
  });
});

describe('validators', () => {
  it('validateId accepts the longest id and any other character, and names what it checks', () => {
    expect(() => validateId('x'.repeat(MAX_ID_LENGTH))).not.toThrow();
    expect(() => validateId('a*?[]\\ {}:😀\t')).not.toThrow();
    expect(() => validateId('', 'messageId')).toThrow(/^messageId must not be empty/);
  });

  it('validateIds returns an array of one id or the array itself', () => {
    expect(validateIds('job-1')).toEqual(['job-1']);
    expect(validateIds(['job-1', 'job-2'])).toEqual(['job-1', 'job-2']);
    const sparse: unknown[] = [];
    sparse[1] = 'job-2';
    expect(() => validateIds(sparse)).toThrow(/^id\[0\] must be a string/);
  });

  it('validateMilliseconds takes whole numbers within bounds only', () => {
    expect(validateMilliseconds(0, 'x', 0, 10)).toBe(0);
    expect(validateMilliseconds(10, 'x', 0, 10)).toBe(10);
    expect(() => validateMilliseconds(11, 'x', 0, 10)).toThrow(RangeError);
    expect(() => validateMilliseconds(-0.5, 'x', 0, 10)).toThrow(RangeError);
    expect(() => validateMilliseconds(5n, 'x', 0, 10)).toThrow(TypeError);
    expect(() => validateMilliseconds(5n, 'x', 0, 10)).toThrow(/^x must be a number of milliseconds, got 5/);
  });

  it('validateAbortTtl accepts 1 to MAX_ABORT_TTL', () => {
    expect(validateAbortTtl(1)).toBe(1);
    expect(validateAbortTtl(MAX_ABORT_TTL)).toBe(MAX_ABORT_TTL);
    expect(() => validateAbortTtl(0)).toThrow(RangeError);
  });

  it('validateAbortTimeout accepts 0 to MAX_ABORT_TIMEOUT', () => {
    expect(validateAbortTimeout(0)).toBe(0);
    expect(validateAbortTimeout(MAX_ABORT_TIMEOUT)).toBe(MAX_ABORT_TIMEOUT);
    expect(() => validateAbortTimeout(-1)).toThrow(RangeError);
  });

  it('validateMode accepts the two modes only', () => {
    expect(validateMode('abort')).toBe('abort');
    expect(validateMode('cancel')).toBe('cancel');
    expect(() => validateMode('ABORT')).toThrow(TypeError);
  });

  it('validateReason accepts undefined and strings up to MAX_REASON_LENGTH', () => {
    expect(validateReason(undefined)).toBeUndefined();
    expect(validateReason('')).toBe('');
    expect(validateReason('x'.repeat(MAX_REASON_LENGTH))).toHaveLength(MAX_REASON_LENGTH);
    expect(() => validateReason(null)).toThrow(TypeError);
  });

  it('validateOptions accepts undefined and objects with known keys', () => {
    expect(validateOptions(undefined, {})).toEqual({});
    const options = { mode: 'abort' };
    expect(validateOptions<{ mode?: string }>(options, { mode: true })).toBe(options);
    expect(() => validateOptions(() => {}, {})).toThrow(/^options must be an object, got a function/);
  });

  it('validateOptions rejects unknown keys, naming the key and the closest known one', () => {
    const known = { abortTtl: true, abortTimeout: true, mode: true } as const;
    expect(() => validateOptions({ abortTTL: 1 }, known)).toThrow(
      new TypeError('options has an unknown key "abortTTL": did you mean "abortTtl"?'),
    );
    expect(() => validateOptions({ abortTimout: undefined }, known)).toThrow(/did you mean "abortTimeout"\?/);
    expect(() => validateOptions({ colour: 'red' }, known, 'options.x')).toThrow(
      new TypeError('options.x has an unknown key "colour": the known keys are abortTtl, abortTimeout, mode'),
    );
    expect(() => validateOptions({ a: 1 }, {})).toThrow(/unknown key "a": it takes no options/);
    // Symbol keys are not options and inherited keys are not own keys: both pass.
    expect(() => validateOptions({ [Symbol('x')]: 1 }, known)).not.toThrow();
    expect(() => validateOptions(Object.create({ abortTTL: 1 }), known)).not.toThrow();
  });

  it('closestKey suggests only plausible misspellings', () => {
    expect(closestKey('concurency', ['concurrency', 'queues'])).toBe('concurrency');
    expect(closestKey('commandTimeOut', ['commandTimeout', 'probeTimeout'])).toBe('commandTimeout');
    expect(closestKey('zzz', ['concurrency', 'queues'])).toBeUndefined();
  });

  it('validateBoolean accepts undefined and booleans', () => {
    expect(validateBoolean(undefined, 'flag')).toBeUndefined();
    expect(validateBoolean(false, 'flag')).toBe(false);
    expect(() => validateBoolean(1, 'flag')).toThrow(/^flag must be a boolean, got 1/);
  });

  it('describes long strings shortly in messages', () => {
    expect(() => validateMode('x'.repeat(100))).toThrow(`got "${'x'.repeat(40)}…"`);
  });
});

describe('misspelled option keys throw a TypeError naming the key and the closest known one', () => {
  const backend = new MemoryBackend();
  const broker = new MemoryBroker();
  const typo2 = actor('typo2', () => 1, { broker });
  it.each([
    ['new Abortable', () => new Abortable({ backend, abortTTL: 1 } as never), 'abortTTL', 'abortTtl'],
    ['Abortable#abort', () => abortable.abort('x', { abortTTL: 1 } as never), 'abortTTL', 'abortTtl'],
    ['abort', () => abort('x', { abortable, abortTimout: 1 } as never), 'abortTimout', 'abortTimeout'],
    ['Abortable#abortSignal', () => abortable.abortSignal('x', { sigal: 1 } as never), 'sigal', 'signal'],
    ['abortSignal', () => abortSignal('x', { abortable, sginal: 1 } as never), 'sginal', 'signal'],
    ['abort$', () => abort$('x', { abortabel: abortable } as never), 'abortabel', 'abortable'],
    ['aborted', () => aborted('x', { abortabel: abortable } as never), 'abortabel', 'abortable'],
    ['takeUntilAborted', () => takeUntilAborted('x', { Abortable: 1 } as never), 'Abortable', 'abortable'],
    ['throwOnAbort', () => throwOnAbort('x', { abortables: 1 } as never), 'abortables', 'abortable'],
    ['new Worker', () => new Worker(broker, { concurency: 2 } as never), 'concurency', 'concurrency'],
    ['Worker#stop', () => new Worker(broker).stop({ timeOut: 1 } as never), 'timeOut', 'timeout'],
    ['actor', () => actor('typo', () => 1, { broker, maxRetry: 1 } as never), 'maxRetry', 'maxRetries'],
    ['Actor#sendWithOptions', () => typo2.sendWithOptions({ delya: 1 } as never), 'delya', 'delay'],
    ['MemoryBroker#join', () => broker.join(undefined, { timout: 1 } as never), 'timout', 'timeout'],
    [
      'new RedisBroker',
      () => new RedisBroker({ url: 'redis://127.0.0.1:1', claimIdleTme: 1 } as never),
      'claimIdleTme',
      'claimIdleTime',
    ],
    [
      'new RedisBackend',
      () => new RedisBackend({ client: {}, commandTimeOut: 1 } as never),
      'commandTimeOut',
      'commandTimeout',
    ],
    [
      'RedisBackend.fromUrl',
      () => RedisBackend.fromUrl('redis://127.0.0.1:1', { commandTimeOut: 1 } as never),
      'commandTimeOut',
      'commandTimeout',
    ],
  ])('%s', (_name, call, key, closest) => {
    setDefaultAbortable(abortable);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`options has an unknown key "${key}": did you mean "${closest}"?`);
  });
});
